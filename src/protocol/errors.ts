/** The one error type of the project: AWS's code, HTTP status, Sender/Receiver and message. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 400,
    readonly type: "Sender" | "Receiver" = status >= 500 ? "Receiver" : "Sender",
  ) {
    super(message);
    this.name = "AwsError";
  }

  /** Extra elements a protocol writes into its error document (S3: `BucketName`, `Key`, `Condition` …). */
  details?: Readonly<Record<string, string>>;

  withDetails(details: Readonly<Record<string, string>>): this {
    this.details = details;
    return this;
  }
}

// Factories for the codes used across services, with AWS's statuses.
export const errors = {
  validation: (m: string) => new AwsError("ValidationError", m, 400),
  missingParameter: (m: string) => new AwsError("MissingParameter", m, 400),
  invalidInput: (m: string) => new AwsError("InvalidInput", m, 400),
  invalidAction: (action: string) =>
    new AwsError("InvalidAction", `Could not find operation ${action} for version NO_VERSION_SPECIFIED`, 400),
  malformedQueryString: (m: string) => new AwsError("MalformedQueryString", m, 404),
  noSuchEntity: (m: string) => new AwsError("NoSuchEntity", m, 404),
  entityAlreadyExists: (m: string) => new AwsError("EntityAlreadyExists", m, 409),
  deleteConflict: (m: string) => new AwsError("DeleteConflict", m, 409),
  limitExceeded: (m: string) => new AwsError("LimitExceeded", m, 409),
  malformedPolicy: (m: string) => new AwsError("MalformedPolicyDocument", m, 400),
  accessDenied: (m: string) => new AwsError("AccessDenied", m, 403),
  missingAuthenticationToken: () => new AwsError("MissingAuthenticationToken", "Request is missing Authentication Token", 403),
  incompleteSignature: (m: string) => new AwsError("IncompleteSignature", m, 400),
  invalidClientTokenId: () => new AwsError("InvalidClientTokenId", "The security token included in the request is invalid.", 403),
  signatureDoesNotMatch: (m?: string) =>
    new AwsError(
      "SignatureDoesNotMatch",
      m ??
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
      403,
    ),
  expiredToken: () => new AwsError("ExpiredToken", "The security token included in the request is expired", 403),
  serviceFailure: () =>
    new AwsError("ServiceFailure", "The request processing has failed because of an unknown error, exception or failure.", 500),
};
