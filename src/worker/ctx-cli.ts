// `ctx`: the script plugin's client for the ctx proxy (dsl-and-workflows.md §4.4). Arguments are
// strings unless they start with the JSON prefix (`@`): `@{"a":1}`, `@5`. Results print with
// Python's str() conventions (falsy → nothing) or as JSON with -j, without a newline, as 5.1.2's
// client; `error` exits 1 with the remote message, `stop_operation` (abort/retry) exits 1 with
// the message on stderr. Scripts call it many times, so it loads nothing but node:http (fetch would
// load undici first).
import { request } from 'node:http';

/** POSTs the JSON body to the proxy; the answer's text, or an error after `timeoutMs` in all. */
function post(url: string, body: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve(text));
        res.on('error', reject);
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(body);
  });
}

export async function main(argv: string[]): Promise<void> {
  let args = argv.slice(2);
  let socketUrl = process.env.CTX_SOCKET_URL;
  let timeoutS = 30;
  let json = false;
  let prefix = '@';
  for (;;) {
    const a = args[0];
    if (a === '--socket-url') socketUrl = args[1];
    else if (a === '-t' || a === '--timeout') timeoutS = Number(args[1]);
    else if (a === '--json-arg-prefix') prefix = args[1];
    else if (a === '-j' || a === '--json-output') {
      json = true;
      args = args.slice(1);
      continue;
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(
        'usage: ctx [-j] [-t TIMEOUT] [--socket-url URL] [--json-arg-prefix P] command [args…]\n',
      );
      return;
    } else break;
    args = args.slice(2);
  }
  if (!socketUrl) {
    process.stderr.write('ctx: no ctx proxy in this environment (CTX_SOCKET_URL is not set)\n');
    process.exitCode = 1;
    return;
  }
  const parsed = args.map((a) => {
    if (prefix && a.startsWith(prefix)) {
      try {
        return JSON.parse(a.slice(prefix.length));
      } catch {
        return a;
      }
    }
    return a;
  });
  let reply: { type: string; payload: any };
  try {
    reply = JSON.parse(await post(socketUrl, JSON.stringify({ args: parsed }), timeoutS * 1000));
  } catch (err) {
    process.stderr.write(`ctx: the ctx proxy at ${socketUrl} did not answer: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  if (reply.type === 'error') {
    const p = reply.payload ?? {};
    process.stderr.write(`${p.type ?? 'Error'}: ${p.message ?? 'ctx call failed'}\n`);
    process.exitCode = 1;
    return;
  }
  if (reply.type === 'stop_operation') {
    process.stderr.write(`${String(reply.payload)}\n`);
    process.exitCode = 1;
    return;
  }
  // As 5.1.2's ctx client: the answer without a newline, and nothing at all for an empty one
  process.stdout.write(json ? JSON.stringify(reply.payload) : pyStr(reply.payload));
}

/** Python's str() as the reference client prints, except falsy values print empty. */
function pyStr(v: unknown): string {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return '';
  if (Array.isArray(v) && v.length === 0) return '';
  if (typeof v === 'object' && Object.keys(v as object).length === 0) return '';
  if (typeof v === 'string') return v;
  if (v === true) return 'True';
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}
