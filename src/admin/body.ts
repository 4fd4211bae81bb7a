import type * as z from '../zod-mini.ts';
import { errors, GatewayError } from '../api/errors.ts';
import { readJsonBody } from '../api/read-body.ts';

const MAX_ADMIN_BODY_BYTES = 64 * 1024;

/**
 * An admin request's JSON body, validated: the first problem becomes a 400 naming the field
 * (`param`), so a typo in a limit name fails loudly instead of being ignored. With
 * `optional`, an empty body stands for `{}`.
 */
export async function adminBody<S extends z.ZodMiniType>(request: Request, schema: S, options: { optional?: boolean } = {}): Promise<z.output<S>> {
  let json: unknown = {};
  const empty = request.body === null || request.headers.get('content-length') === '0';
  if (!(options.optional === true && empty)) json = (await readJsonBody(request, MAX_ADMIN_BODY_BYTES)).json;
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : null;
  throw errors.invalidRequest(issue ? `${param ?? 'body'}: ${issue.message}` : 'invalid request body', param);
}

/** A user mistake the domain layer caught (bad change, unknown id) as the API's error. */
export function adminError(status: 400 | 404, code: string, message: string, param: string | null = null): GatewayError {
  return new GatewayError(status, message, { code, param });
}

/** Runs a domain call, turning the typed failures `translate` knows into API errors. */
export async function translated<T>(work: () => Promise<T>, translate: (error: unknown) => GatewayError | undefined): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translate(error) ?? error;
  }
}
