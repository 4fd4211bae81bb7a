// A Worker wrapped so the benchmark can replay one request through it `n` times inside the
// isolate with a canned upstream (`npm run bench -- workerd`): POST /__loop?n=<n> with
// {"path", "headers", "body", "upstream"}. The isolate's global fetch answers every upstream call
// at once with `upstream` (a chat completion as the simulator sends it), so the workerd process's
// CPU over the loop ÷ n is the Worker's own code per request: no inbound HTTP, no socket, no
// concurrency, and little of a shared machine's noise. GET /__ready answers without touching the
// Worker, so the Worker is built on the loop's first request, with the canned fetch in place.
interface Handler<Env, Ctx> {
  fetch(request: Request, env: Env, ctx: Ctx): Response | Promise<Response>;
}

interface Replayed {
  path: string;
  headers: Record<string, string>;
  body: string;
  upstream: string;
}

export function loopWorker<Env, Ctx>(inner: Handler<Env, Ctx>): Handler<Env, Ctx> {
  return {
    async fetch(request, env, ctx) {
      const url = new URL(request.url);
      if (url.pathname === '/__ready') return new Response('ready');
      if (url.pathname !== '/__loop') return new Response('only /__loop and /__ready here', { status: 404 });
      const n = Number(url.searchParams.get('n'));
      const replayed = (await request.json()) as Replayed;
      globalThis.fetch = async () => new Response(replayed.upstream, { status: 200, headers: { 'content-type': 'application/json' } });
      // As a client's request arrives: with its Content-Length (a string body alone carries none here).
      const headers = { ...replayed.headers, 'content-length': String(new TextEncoder().encode(replayed.body).byteLength) };
      for (let i = 0; i < n; i++) {
        const answer = await inner.fetch(new Request(url.origin + replayed.path, { method: 'POST', headers, body: replayed.body }), env, ctx);
        const text = await answer.text();
        if (answer.status !== 200) return new Response(`request ${i + 1} of ${n} answered ${answer.status}: ${text.slice(0, 300)}`, { status: 502 });
      }
      return new Response(`replayed ${n}`);
    },
  };
}
