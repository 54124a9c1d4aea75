import type { AuthUser } from '../auth/users.ts';
import { hasRole } from '../auth/roles.ts';
import { forbidden } from '../errors.ts';

/**
 * Who may call the predict API: any API token with the `predict` scope (production services),
 * or a logged-in lead (the console's try-it page). route() has already checked the token's scope.
 */
export function predictCaller(user: AuthUser): void {
  if (!user.scopes && !hasRole(user.role, 'lead')) throw forbidden('the predict API needs an API token with the predict scope, or a lead’s session');
}
