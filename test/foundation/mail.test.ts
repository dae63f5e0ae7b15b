/**
 * Mail through SMTP when SMTP_URL is set: a tiny SMTP server on 127.0.0.1 receives what the app sends.
 * (Without SMTP_URL mail goes to .eml files, which the invitation and reset tests read.)
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createMailer } from '../../server/mail/mailer';

interface Received {
  from: string;
  to: string[];
  data: string;
}

/** Just enough SMTP for one client: greeting, EHLO, MAIL, RCPT, DATA, QUIT. */
function startSmtpServer(received: Received[]): Promise<Server> {
  const server = createServer((socket: Socket) => {
    let buffer = '';
    let inData = false;
    let current: Received = { from: '', to: [], data: '' };
    socket.write('220 test ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          current.data = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          received.push(current);
          current = { from: '', to: [], data: '' };
          socket.write('250 OK queued\r\n');
          continue;
        }
        const lineEnd = buffer.indexOf('\r\n');
        if (lineEnd < 0) return;
        const line = buffer.slice(0, lineEnd);
        buffer = buffer.slice(lineEnd + 2);
        const command = line.slice(0, 4).toUpperCase();
        if (command === 'EHLO' || command === 'HELO') socket.write('250 test\r\n');
        else if (command === 'MAIL') {
          current.from = line;
          socket.write('250 OK\r\n');
        } else if (command === 'RCPT') {
          current.to.push(line);
          socket.write('250 OK\r\n');
        } else if (command === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (command === 'QUIT') {
          socket.end('221 bye\r\n');
          return;
        } else socket.write('250 OK\r\n');
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('mail through SMTP_URL', () => {
  it('sends the message to the SMTP server and writes no file', async () => {
    const received: Received[] = [];
    const server = await startSmtpServer(received);
    try {
      const { port } = server.address() as AddressInfo;
      const mailer = createMailer({
        smtpUrl: `smtp://127.0.0.1:${port}`,
        dataDir: '/nonexistent-folder-that-must-not-be-used',
        from: 'Coproduce <no-reply@example.org>',
        logger: pino({ level: 'silent' }),
      });
      expect(mailer.mailDir).toBeUndefined();
      await mailer.send({ to: 'jo@example.org', subject: 'Hello from the test', text: 'A line of text.\n' });
      expect(received).toHaveLength(1);
      expect(received[0]?.from).toContain('no-reply@example.org');
      expect(received[0]?.to.join()).toContain('jo@example.org');
      expect(received[0]?.data).toContain('Subject: Hello from the test');
      expect(received[0]?.data).toContain('A line of text.');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
