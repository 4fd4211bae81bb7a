import type { KeyRecord } from './auth/api-keys.ts';

/** Hono's typing for the app: what middleware puts in `c.var`. */
export interface AppEnv {
  Variables: {
    key: KeyRecord;
    requestId: string;
  };
}
