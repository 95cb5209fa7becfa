/**
 * The answer to a throttled request, in its service's words (pure). Every code here is one the AWS
 * SDKs retry as throttling (their THROTTLING_ERROR_CODES, or status 429), so clients back off.
 *
 * | service                      | code                      | status | confirmed by |
 * |------------------------------|---------------------------|--------|--------------|
 * | IAM, STS (Query)             | Throttling "Rate exceeded" | 400   | AWS knowledge center "iam-sts-throttling-error" |
 * | SNS (Query)                  | Throttling "Rate exceeded" | 400   | API-wide throttling; SNS's modelled ThrottledException is per-action (unconfirmed which one the front end sends) |
 * | S3 (REST-XML)                | SlowDown                  | 503    | S3 error-code list |
 * | EC2                          | RequestLimitExceeded      | 503    | EC2 API "Request throttling" page |
 * | Lambda (REST-JSON)           | TooManyRequestsException, Reason CallerRateLimitExceeded | 429 | Lambda API reference |
 * | SQS (JSON, query-compatible) | RequestThrottled          | 403    | SQS model (awsQueryError RequestThrottled, 403) |
 * | Organizations                | TooManyRequestsException  | 429    | Organizations' Smithy model (httpError 429, in the SDK v3 client) |
 * | CloudTrail                   | ThrottlingException       | 429    | CloudTrail's Smithy model (httpError 429) |
 * | KMS, ECR, others (JSON)      | ThrottlingException "Rate exceeded" | 400 | KMS/ECR API references (ThrottlingException) |
 */
import { AwsError } from "../protocol/errors";

/** Thrown by the limiter; the pipeline turns it into the service's own answer (throttlingErrorFor). */
export class Throttled extends AwsError {
  constructor() {
    super("Throttling", "Rate exceeded", 400);
  }
}

export function throttlingErrorFor(service: string | undefined): AwsError {
  switch (service) {
    case undefined:
    case "iam":
    case "sts":
    case "sns":
      return new AwsError("Throttling", "Rate exceeded", 400);
    case "s3":
      return new AwsError("SlowDown", "Please reduce your request rate.", 503);
    case "ec2":
      return new AwsError("RequestLimitExceeded", "Request limit exceeded.", 503);
    case "lambda":
      return new AwsError("TooManyRequestsException", "Rate exceeded", 429, "Sender").withDetails({ Reason: "CallerRateLimitExceeded" });
    case "sqs":
      return new AwsError("RequestThrottled", "Rate exceeded", 403);
    case "organizations":
      return new AwsError(
        "TooManyRequestsException",
        "You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later.",
        429,
      );
    case "cloudtrail":
      return new AwsError("ThrottlingException", "Rate exceeded", 429);
    default:
      return new AwsError("ThrottlingException", "Rate exceeded", 400);
  }
}
