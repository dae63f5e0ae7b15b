/**
 * The TCP side: one socket per driver connection, messages framed by their length, handled one at a time per
 * connection (as mongod does). A malformed frame or BSON document closes that connection with a log line; it
 * never reaches the engine's data.
 */
import net from 'node:net';
import type { Engine } from '../engine';
import type { Doc } from '../bson/values';
import { buildOpMsg, buildOpReply, MAX_MESSAGE_BYTES, OP_QUERY, OversizedDocument, parseHeader, parseMessage, type Request } from './protocol';
import { EngineError, ErrorCodes } from '../errors';

export interface WireServer {
  port: number;
  close(): Promise<void>;
}

let nextConnectionId = 1;

function commandFromQuery(request: Extract<Request, { kind: 'query' }>): { db: string; cmd: Doc } {
  const db = request.collection.endsWith('.$cmd') ? request.collection.slice(0, -5) : 'admin';
  const wrapped = request.command.$query ?? request.command.query;
  const cmd = wrapped && typeof wrapped === 'object' && !Array.isArray(wrapped) ? (wrapped as Doc) : request.command;
  return { db, cmd };
}

export function listen(engine: Engine, host: string, port: number, log: (line: string) => void): Promise<WireServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const connection = { id: nextConnectionId++, remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}` };
    engine.server.connections.current++;
    engine.server.connections.totalCreated++;
    let chunks: Buffer[] = [];
    let buffered = 0;
    let queue: Promise<void> = Promise.resolve();
    let closed = false;

    const fail = (reason: string): void => {
      if (closed) return;
      closed = true;
      log(`embedded db: closing connection ${connection.id} from ${connection.remote}: ${reason}`);
      socket.destroy();
    };

    const handle = async (message: Buffer): Promise<void> => {
      let request: Request;
      try {
        request = parseMessage(message);
      } catch (err) {
        if (err instanceof OversizedDocument) {
          const header = parseHeader(message);
          const reply = new EngineError(ErrorCodes.BSONObjectTooLarge, err.message).toReply();
          const moreToCome = header.opCode !== OP_QUERY && (message.readUInt32LE(16) & 2) !== 0;
          if (!moreToCome) socket.write(header.opCode === OP_QUERY ? buildOpReply(header.requestId, reply) : buildOpMsg(header.requestId, reply));
          return;
        }
        fail(err instanceof Error ? `malformed message (${err.message})` : 'malformed message');
        return;
      }
      if (request.kind === 'query') {
        const { db, cmd } = commandFromQuery(request);
        const reply = await engine.execute(cmd, db, connection);
        if (!closed) socket.write(buildOpReply(request.header.requestId, reply));
        return;
      }
      const db = typeof request.command.$db === 'string' ? request.command.$db : 'admin';
      const reply = await engine.execute(request.command, db, connection);
      if (!request.moreToCome && !closed) socket.write(buildOpMsg(request.header.requestId, reply));
    };

    socket.on('data', (chunk: Buffer) => {
      if (closed) return;
      chunks.push(chunk);
      buffered += chunk.length;
      while (buffered >= 4) {
        const head = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        chunks = [head];
        const length = head.readInt32LE(0);
        if (length < 16 || length > MAX_MESSAGE_BYTES) {
          fail(`invalid message length ${length}`);
          return;
        }
        if (buffered < length) break;
        const message = head.subarray(0, length);
        const rest = head.subarray(length);
        chunks = rest.length ? [rest] : [];
        buffered = rest.length;
        queue = queue
          .then(() => handle(message))
          .catch((err: unknown) => fail(`internal error: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      sockets.delete(socket);
      engine.server.connections.current--;
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      resolve({
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
