import net from 'node:net';

export interface Received {
  from: string;
  to: string[];
  data: string;
}

/** Just enough SMTP for nodemailer (EHLO, MAIL, RCPT, DATA, QUIT; no STARTTLS offered). */
export function startSmtpSink(): Promise<{ port: number; messages: Received[]; close: () => Promise<void> }> {
  const messages: Received[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const reply = (line: string) => socket.write(`${line}\r\n`);
    let buffer = '';
    let inData = false;
    let current: Received = { from: '', to: [], data: '' };
    reply('220 sink.test ESMTP');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          messages.push({ ...current, data: buffer.slice(0, end) });
          current = { from: '', to: [], data: '' };
          buffer = buffer.slice(end + 5);
          inData = false;
          reply('250 2.0.0 queued as 42');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
        if (verb === 'MAIL') current.from = address;
        if (verb === 'RCPT') current.to.push(address);
        if (verb === 'DATA') inData = true;
        if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
          return;
        }
        const answers: Record<string, string> = { EHLO: '250-sink.test\r\n250 8BITMIME', HELO: '250 OK', RSET: '250 OK', NOOP: '250 OK', MAIL: '250 OK', RCPT: '250 OK', DATA: '354 go ahead' };
        reply(answers[verb] ?? '502 not implemented');
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        messages,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise((r) => server.close(() => r()));
        },
      }),
    ),
  );
}

/** A received message's text with quoted-printable undone (nodemailer wraps long lines, e.g. links, that way). */
export function decodedMail(data: string): string {
  if (!/content-transfer-encoding:\s*quoted-printable/i.test(data)) return data;
  return data.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Waits (polling) until the sink has received `count` messages. */
export async function waitForMail(messages: Received[], count = 1, timeoutMs = 20_000): Promise<Received[]> {
  const deadline = Date.now() + timeoutMs;
  while (messages.length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} mail(s), got ${messages.length}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return messages;
}
