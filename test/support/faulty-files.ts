/**
 * A file layer for tests that fails on demand, as a disk does: a write that stops part-way with ENOSPC, or an
 * fdatasync that answers EIO. Every other call goes to node:fs.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { FileLayer } from '../../server/db/embedded/storage/file-io';

export type FaultKind = 'write' | 'datasync' | 'truncate';

interface Armed {
  /** Calls of this kind that still succeed before the fault. */
  after: number;
  code: 'EIO' | 'ENOSPC';
}

export class FaultyFiles implements FileLayer {
  private readonly armed = new Map<FaultKind, Armed>();
  /** Faults raised so far, by kind. */
  readonly raised: Record<FaultKind, number> = { write: 0, datasync: 0, truncate: 0 };

  /** From now on, after `after` more successful calls, every call of this kind fails with `code`. */
  fail(kind: FaultKind, code: 'EIO' | 'ENOSPC', after = 0): void {
    this.armed.set(kind, { after, code });
  }

  /** Whether this call fails (counting down the successful calls left). */
  private fault(kind: FaultKind): Error | null {
    const armed = this.armed.get(kind);
    if (!armed) return null;
    if (armed.after > 0) {
      armed.after -= 1;
      return null;
    }
    this.raised[kind] += 1;
    return Object.assign(new Error(`${armed.code}: injected ${kind} failure`), { code: armed.code, syscall: kind });
  }

  async open(file: string, flags: string): Promise<FileHandle> {
    const handle = await fsp.open(file, flags);
    return new Proxy(handle, {
      get: (target, property) => {
        if (property === 'write') {
          return async (buffer: Buffer, offset: number, length: number, position: number) => {
            const error = this.fault('write');
            if (!error) return target.write(buffer, offset, length, position);
            // A disk that fills up mid-write: half of the bytes land, then the error.
            const half = Math.floor(length / 2);
            if (half > 0) await target.write(buffer, offset, half, position);
            throw error;
          };
        }
        if (property === 'datasync' || property === 'truncate') {
          return async (...args: unknown[]) => {
            const error = this.fault(property);
            if (error) throw error;
            return property === 'datasync' ? target.datasync() : target.truncate(args[0] as number | undefined);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}
