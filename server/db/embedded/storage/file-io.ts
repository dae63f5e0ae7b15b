/** File input and output for the journal: full writes, directory syncs, and reading in large chunks. */
import { promises as fsp, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

const READ_CHUNK = 8 * 1024 * 1024;


/**
 * How the journal opens its files. The real one is node:fs; tests pass one whose handles fail on demand
 * (a write or an fdatasync returning EIO or ENOSPC) to check the fail-stop path.
 */
export interface FileLayer {
  open(file: string, flags: string): Promise<FileHandle>;
}

export const nodeFiles: FileLayer = { open: (file, flags) => fsp.open(file, flags) };

/** Writes all of `bytes` at `position` (a write may take fewer bytes); returns how many. */
export async function writeFully(handle: FileHandle, bytes: Buffer, position: number): Promise<number> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, position + written);
    written += bytesWritten;
  }
  return written;
}

/** Makes a rename or a new file in `dir` durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads a file front to back in large chunks, handing out views into them. */
export class ChunkReader {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly size: number,
  ) {}

  /** Bytes [at, at + length), which must lie inside the file. */
  async view(at: number, length: number): Promise<Buffer> {
    const offset = at - this.windowStart;
    if (offset >= 0 && offset + length <= this.window.length) return this.window.subarray(offset, offset + length);
    const window = Buffer.allocUnsafe(Math.min(Math.max(length, READ_CHUNK), this.size - at));
    let read = 0;
    while (read < window.length) {
      const { bytesRead } = await readAt(this.handle, window, read, window.length - read, at + read);
      if (bytesRead === 0) throw new Error(`The journal file ended early while reading at ${at + read}`);
      read += bytesRead;
    }
    this.window = window;
    this.windowStart = at;
    return window.subarray(0, length);
  }
}

/**
 * One read. Synchronous when the handle has a file descriptor: a start reads the whole journal before it answers
 * anything, and on a loaded machine each asynchronous read waited twice for a core (the thread pool's, then the
 * event loop's), which was a quarter of a restart's time.
 */
async function readAt(handle: FileHandle, buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
  if (typeof handle.fd === 'number' && handle.fd >= 0) return { bytesRead: readSync(handle.fd, buffer, offset, length, position) };
  return handle.read(buffer, offset, length, position);
}
