import type { KeyRecord } from './auth/api-keys.ts';
import type { AnswerHeaders } from './api/answer-headers.ts';
import type { RequestRecord } from './observe/request-record.ts';

/** Hono's typing for the app: what middleware puts in `c.var`. */
export interface AppEnv {
  Variables: {
    key: KeyRecord;
    requestId: string;
    /** What this request did, written out as its one log line (src/observe/record-requests.ts). */
    record: RequestRecord;
    /** The answer's headers so far (src/api/answer-headers.ts). */
    answerHeaders: AnswerHeaders;
    /** The answer `answer()` built, when it built it. */
    answer: Response;
  };
}
