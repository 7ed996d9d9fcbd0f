import { describe, expect, it } from 'vitest';
import { BodyError, parseWebhookBody } from './body.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** The BodyError parseWebhookBody throws. */
function refusal(contentType: string | undefined, body: Buffer): BodyError {
  try {
    parseWebhookBody(contentType, body);
  } catch (err) {
    if (err instanceof BodyError) return err;
    throw err;
  }
  throw new Error(`expected the ${contentType} body to be refused`);
}

/** A multipart body as Node's own fetch encodes a FormData (undici), with its content-type. */
async function encodeForm(form: FormData): Promise<{ contentType: string; body: Buffer }> {
  const request = new Request('http://localhost/hooks/x', { method: 'POST', body: form });
  return { contentType: request.headers.get('content-type')!, body: Buffer.from(await request.arrayBuffer()) };
}

describe('JSON', () => {
  it('parses application/json and +json types, with a charset parameter or a BOM', () => {
    expect(parseWebhookBody('application/json', utf8('{"a":[1,{"b":null}],"é":"ü"}'))).toEqual({ value: { a: [1, { b: null }], é: 'ü' }, kind: 'json' });
    expect(parseWebhookBody('application/vnd.github+json', utf8('[1,2]'))).toEqual({ value: [1, 2], kind: 'json' });
    expect(parseWebhookBody('Application/CloudEvents+JSON; charset=utf-8', utf8('"x"'))).toEqual({ value: 'x', kind: 'json' });
    expect(parseWebhookBody('application/json', utf8('\uFEFF{"a":1}'))).toEqual({ value: { a: 1 }, kind: 'json' });
  });

  it('refuses invalid JSON as invalid_json, without quoting the body', () => {
    const err = refusal('application/json', utf8('{"secret-ish": '));
    expect(err.code).toBe('invalid_json');
    expect(err.message).toMatch(/not valid JSON \(content-type application\/json\)/);
    expect(err.message).not.toContain('secret-ish');
    expect(refusal('application/json', Buffer.from([0x22, 0xff, 0x22])).code).toBe('invalid_json');
  });
});

describe('application/x-www-form-urlencoded', () => {
  it('gives an object of fields; repeated fields become arrays; bracketed keys stay plain', () => {
    const body = utf8('name=Ada+Lovelace&tag=a&tag=b&tag=c&user%5Bemail%5D=ada%40example.com&empty=&note=caf%C3%A9');
    expect(parseWebhookBody('application/x-www-form-urlencoded; charset=UTF-8', body)).toEqual({
      value: { name: 'Ada Lovelace', tag: ['a', 'b', 'c'], 'user[email]': 'ada@example.com', empty: '', note: 'café' },
      kind: 'form',
    });
  });

  it('keeps a field named __proto__ as an ordinary field', () => {
    const { value } = parseWebhookBody('application/x-www-form-urlencoded', utf8('__proto__=x&__proto__=y&a=1'));
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual(['x', 'y']);
  });
});

describe('multipart/form-data', () => {
  it("reads the text fields of a form as Node's fetch encodes it, repeated fields as arrays", async () => {
    const form = new FormData();
    form.append('name', 'Ada');
    form.append('tag', 'a');
    form.append('tag', 'b');
    form.append('user[email]', 'ada@example.com');
    form.append('message', 'line one\r\nline two\r\n');
    form.append('quote "name" 100%41', 'ünïcødé');
    const { contentType, body } = await encodeForm(form);
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(parseWebhookBody(contentType, body)).toEqual({
      value: { name: 'Ada', tag: ['a', 'b'], 'user[email]': 'ada@example.com', message: 'line one\r\nline two\r\n', 'quote "name" 100%41': 'ünïcødé' },
      kind: 'form',
    });
  });

  it('refuses a file part as files_not_accepted', async () => {
    const form = new FormData();
    form.append('name', 'Ada');
    form.append('upload', new Blob(['%PDF-1.7'], { type: 'application/pdf' }), 'invoice.pdf');
    const { contentType, body } = await encodeForm(form);
    const err = refusal(contentType, body);
    expect(err.code).toBe('files_not_accepted');
    expect(err.message).toMatch(/upload/);
  });

  it('reads a hand-written body: quoted boundary, preamble, epilogue, unquoted name, a part charset', () => {
    const body = Buffer.concat([
      utf8('This is the preamble.\r\n'),
      utf8('--=_Part 7, x:y\r\n'),
      utf8('Content-Disposition: form-data; name="first"\r\n\r\n'),
      utf8('one\r\n'),
      utf8('--=_Part 7, x:y  \r\n'), // transport padding after the delimiter
      utf8('content-disposition: form-data; name=second\r\n'),
      utf8('Content-Type: text/plain; charset=iso-8859-1\r\n\r\n'),
      Buffer.from('caf\xe9', 'latin1'),
      utf8('\r\n--=_Part 7, x:y\r\n'),
      utf8('Content-Disposition: form-data; name="avatar"; filename=""\r\n'), // a file input left empty
      utf8('Content-Type: application/octet-stream\r\n\r\n'),
      utf8('\r\n--=_Part 7, x:y--\r\nepilogue'),
    ]);
    expect(parseWebhookBody('multipart/form-data; boundary="=_Part 7, x:y"; charset=utf-8', body)).toEqual({
      value: { first: 'one', second: 'café' },
      kind: 'form',
    });
  });

  it('refuses a filename* file and malformed bodies as invalid_multipart', () => {
    const part = (disposition: string) => utf8(`--b\r\nContent-Disposition: ${disposition}\r\n\r\nx\r\n--b--\r\n`);
    expect(refusal('multipart/form-data; boundary=b', part("form-data; name=f; filename*=UTF-8''r%C3%A9sum%C3%A9.txt")).code).toBe('files_not_accepted');
    expect(refusal('multipart/form-data', part('form-data; name=f')).message).toMatch(/no boundary/);
    expect(refusal('multipart/form-data; boundary=zz', part('form-data; name=f')).message).toMatch(/does not contain its boundary/);
    expect(refusal('multipart/form-data; boundary=b', part('attachment; name=f')).message).toMatch(/"form-data" with a name/);
    expect(refusal('multipart/form-data; boundary=b', utf8('--b\r\nContent-Disposition: form-data; name=f\r\n\r\nx')).message).toMatch(/ends before/);
  });
});

describe('text, empty and other types', () => {
  it('gives text/* as text, decoded by its charset', () => {
    expect(parseWebhookBody('text/plain', utf8('deploy finished ✓'))).toEqual({ value: 'deploy finished ✓', kind: 'text' });
    expect(parseWebhookBody('text/csv; charset=ISO-8859-1', Buffer.from('na\xefve', 'latin1'))).toEqual({ value: 'naïve', kind: 'text' });
    expect(refusal('text/plain; charset=klingon', utf8('x')).code).toBe('unsupported_media_type');
  });

  it('gives an empty body as empty, whatever the content type', () => {
    for (const type of ['text/plain', 'application/json', 'multipart/form-data', undefined]) {
      expect(parseWebhookBody(type, Buffer.alloc(0))).toEqual({ value: null, kind: 'empty' });
    }
  });

  it('refuses other types, and a body without a content type, naming the type', () => {
    const err = refusal('application/octet-stream', utf8('\x00\x01'));
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('BodyError');
    expect(err.code).toBe('unsupported_media_type');
    expect(err.message).toMatch(/application\/octet-stream is not accepted/);
    expect(refusal('application/xml; charset=utf-8', utf8('<a/>')).message).toMatch(/application\/xml is not accepted/);
    expect(refusal(undefined, utf8('{}')).message).toMatch(/no content-type/);
  });
});
