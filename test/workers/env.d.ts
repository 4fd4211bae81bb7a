// Types `exports` from cloudflare:workers as the Worker's own module.
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import('../../workers/gateway.ts');
  }
}
