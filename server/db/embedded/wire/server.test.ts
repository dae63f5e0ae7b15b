/** Bad input on the wire closes that connection with a log line; the engine keeps serving everyone else. */
import net from 'node:net';
import { BSON } from 'bson';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../index';
import { crc32c } from './protocol';

let engine: EmbeddedMongo;
let client: MongoClient;
const logLines: string[] = [];

beforeAll(async () => {
  engine = await startEmbeddedMongo({ log: (line) => logLines.push(line) });
  client = await MongoClient.connect(engine.uri);
  await client.db('wire').collection('kept').insertOne({ _id: 'k' as never, v: 1 });
});

afterAll(async () => {
  await client.close();
  await engine.stop();
});

function header(length: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(7, 4);
  h.writeInt32LE(0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** Send raw bytes and resolve once the server closes the socket (or with what it answered). */
function sendRaw(bytes: Buffer): Promise<{ closed: boolean; received: number }> {
  const url = new URL(engine.uri);
  return new Promise((resolve) => {
    let received = 0;
    const socket = net.connect(Number(url.port), url.hostname, () => socket.write(bytes));
    socket.on('data', (d) => {
      received += d.length;
      socket.end();
    });
    socket.on('close', () => resolve({ closed: true, received }));
    socket.on('error', () => undefined);
  });
}

function opMsg(body: Buffer): Buffer {
  const flags = Buffer.alloc(5);
  return Buffer.concat([header(16 + 5 + body.length, 2013), flags, body]);
}

test('a message with an impossible length closes the connection', async () => {
  const result = await sendRaw(header(100_000_000, 2013));
  expect(result).toEqual({ closed: true, received: 0 });
  expect(logLines.some((l) => /invalid message length/.test(l))).toBe(true);
});

test('a BSON body that lies about its size closes the connection', async () => {
  const body = Buffer.from(BSON.serialize({ ping: 1, $db: 'admin' }));
  body.writeInt32LE(body.length + 50, 0);
  const result = await sendRaw(opMsg(body));
  expect(result).toEqual({ closed: true, received: 0 });
});

test('garbage inside a BSON document closes the connection', async () => {
  const body = Buffer.from(BSON.serialize({ ping: 1, $db: 'admin' }));
  body.writeUInt8(0x42, 4); // an unknown element type
  const result = await sendRaw(opMsg(body));
  expect(result).toEqual({ closed: true, received: 0 });
});

test('a checksummed message is answered when the CRC-32C matches and refused when it does not', async () => {
  const body = Buffer.from(BSON.serialize({ ping: 1, $db: 'admin' }));
  const message = Buffer.concat([header(16 + 5 + body.length + 4, 2013), Buffer.from([1, 0, 0, 0, 0]), body, Buffer.alloc(4)]);
  message.writeUInt32LE(crc32c(message.subarray(0, message.length - 4)), message.length - 4);
  expect((await sendRaw(message)).received).toBeGreaterThan(16);
  message.writeUInt32LE((message.readUInt32LE(message.length - 4) + 1) >>> 0, message.length - 4);
  expect(await sendRaw(message)).toEqual({ closed: true, received: 0 });
});

test('CRC-32C matches the standard check value', () => {
  expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
});

test('an unsupported opcode closes the connection', async () => {
  const result = await sendRaw(Buffer.concat([header(20, 2012), Buffer.alloc(4)]));
  expect(result.closed).toBe(true);
});

test('a well-formed ping on a raw socket is answered', async () => {
  const result = await sendRaw(opMsg(Buffer.from(BSON.serialize({ ping: 1, $db: 'admin' }))));
  expect(result.received).toBeGreaterThan(16);
});

test('after all that, the data and other connections are unharmed', async () => {
  expect(await client.db('wire').collection('kept').findOne({ _id: 'k' as never })).toEqual({ _id: 'k', v: 1 });
});
