// The floor for a Worker gateway in workerd: every request forwarded to one upstream as it came
// (method, headers, body stream), the answer returned as it is. No auth, no parsing, no routing:
// what workerd's own fetch / Request / Response cost per request (`npm run bench -- workerd`).
interface Env {
  /** The upstream origin, e.g. http://127.0.0.1:41234 (a text binding). */
  UPSTREAM: string;
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const { pathname, search } = new URL(request.url);
    return fetch(env.UPSTREAM + pathname + search, request);
  },
};
