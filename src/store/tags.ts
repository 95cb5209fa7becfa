/** A tag as IAM returns it (users, roles, policies, instance profiles, MFA devices share the `tags` table). */
// A type alias, not an interface: results must stay assignable to XmlValue's index signature.
export type TagRow = { Key: string; Value: string };
