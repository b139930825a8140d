import type { Route } from '@qsmo/service-kit/http/service';
import type { GatewayPlugin } from '../plugin';

/** Serves extra HTTP routes (e.g. the browser IDE) next to /graphql, without the core knowing what they are. */
export function useRoutes(routes: Readonly<Record<string, Route>>, name = 'routes'): GatewayPlugin {
  return { name, routes };
}
