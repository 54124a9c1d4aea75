/** Roles in increasing power: a lead can do what an annotator can, an admin what a lead can. */
export const ROLES = ['annotator', 'lead', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function hasRole(actual: string, required: Role): boolean {
  return isRole(actual) && ROLES.indexOf(actual) >= ROLES.indexOf(required);
}
