/** The one ARN parser/builder of the project. Pure. */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  /** Everything after the fifth colon, e.g. `user/path/bob` or `policy/ReadOnlyAccess`. */
  resource: string;
}

/** Splits an ARN into its six parts; null when it is not `arn:p:s:r:a:resource`. */
export function parseArn(arn: string): Arn | null {
  if (!arn.startsWith("arn:")) return null;
  const parts: string[] = [];
  let start = 4;
  for (let i = 0; i < 4; i++) {
    const idx = arn.indexOf(":", start);
    if (idx < 0) return null;
    parts.push(arn.slice(start, idx));
    start = idx + 1;
  }
  const [partition, service, region, account] = parts as [string, string, string, string];
  if (!partition || !service) return null;
  return { partition, service, region, account, resource: arn.slice(start) };
}

/** `arn:aws:iam::ACCT:<type><path><name>` — path always starts and ends with `/`. */
export function iamArn(account: string, type: string, path: string, name: string): string {
  return `arn:aws:iam::${account}:${type}${path}${name}`;
}

export function rootArn(account: string): string {
  return `arn:aws:iam::${account}:root`;
}

export function assumedRoleArn(account: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`;
}

export function federatedUserArn(account: string, name: string): string {
  return `arn:aws:sts::${account}:federated-user/${name}`;
}

/** An S3 bucket's ARN (bucket names are global: no region, no account). */
export function s3BucketArn(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}
