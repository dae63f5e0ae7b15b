import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import supertest from 'supertest';
import { createLogger, requestLog, requestLogging } from './logging';

interface LogLine {
  level: number;
  msg: string;
  reqId?: number;
  req?: { id: number; method: string; url: string };
  res?: { statusCode: number };
  responseTime?: number;
  err?: { message: string };
}

function appLogging(level: 'info' | 'warn'): { app: express.Express; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger(level, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  const app = express();
  app.use(requestLogging(logger));
  app.get('/healthz', (_req, res) => {
    res.send('ok');
  });
  app.get('/page', (req, res) => {
    requestLog(req)?.info('drawing the page');
    res.send('page');
  });
  app.get('/missing', (_req, res) => {
    res.status(404).send('missing');
  });
  app.get('/slow', (_req, res) => {
    setTimeout(() => res.send('too late'), 200);
  });
  app.get('/broken', (_req, res) => {
    res.status(500).send('broken');
  });
  return { app, lines };
}

describe('request logging', () => {
  it('writes one line per finished request at a level by its status, tying handler lines to it by reqId', async () => {
    const { app, lines } = appLogging('info');
    await supertest(app).get('/page?token=Abc_def-123456789012345678901234567890123');
    await supertest(app).get('/missing');
    await supertest(app).get('/broken');
    await supertest(app).get('/healthz');

    const handlerLine = lines.find((line) => line.msg === 'drawing the page');
    const requests = lines.filter((line) => line.req);
    expect(requests.map((line) => [line.level, line.msg, line.req?.method, line.req?.url, line.res?.statusCode])).toEqual([
      [30, 'request completed', 'GET', '/page?token=[redacted]', 200],
      [40, 'request completed', 'GET', '/missing', 404],
      [50, 'request errored', 'GET', '/broken', 500],
    ]);
    expect(handlerLine?.reqId).toBe(requests[0]?.reqId);
    expect(requests[0]?.req?.id).toBe(requests[0]?.reqId);
    expect(new Set(requests.map((line) => line.reqId)).size).toBe(3);
    expect(requests[2]?.err?.message).toBe('failed with status code 500');
    expect(requests.every((line) => typeof line.responseTime === 'number')).toBe(true);
  });

  it('leaves out the lines below its level', async () => {
    const { app, lines } = appLogging('warn');
    await supertest(app).get('/page');
    await supertest(app).get('/missing');
    expect(lines.map((line) => `${line.msg} ${line.res?.statusCode ?? ''}`)).toEqual(['request completed 404']);
  });

  it('logs a request whose connection broke before the answer was sent as aborted, at warn', async () => {
    const { app, lines } = appLogging('warn');
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      const request = http.get({ host: '127.0.0.1', port, path: '/slow' });
      request.on('error', () => resolve());
      setTimeout(() => request.destroy(), 50);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await new Promise((resolve) => server.close(resolve));
    expect(lines.map((line) => [line.level, line.msg, line.req?.url, line.err?.message])).toEqual([[40, 'request aborted', '/slow', undefined]]);
  });
});
