// zod/mini for everything the Worker carries: the same parser and the same issues as full zod,
// but its functions tree-shake, so the bundle holds only the checks in use (full zod cannot be
// tree-shaken and weighs more than the rest of the Worker). Full zod stays for the fleet file,
// validated at build time (src/fleet/, cli/, infra/). Messages are zod's English ones, as full
// zod prints them: API errors quote them (`messages.0.role: Invalid input: …`).
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

// Import it as a namespace (`import * as z`): esbuild drops what is not used. A namespace
// re-exported as a value (`export * as z`) would carry all of zod/mini and every locale.
export * from 'zod/mini';
