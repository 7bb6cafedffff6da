// Package aws reads AWS Auto Scaling configurations as the AWS CLI prints
// them, and translates them into one headroom.Policy with the semantics and
// defaults AWS documents, each cited in a comment at its rule.
//
// Two services are read, told apart by their keys:
//   - Application Auto Scaling (ECS services, DynamoDB, Aurora, Lambda,
//     SageMaker, Spot Fleet, ...): the output of
//     `aws application-autoscaling describe-scalable-targets`,
//     `describe-scaling-policies` and `describe-scheduled-actions`.
//   - EC2 Auto Scaling: `aws autoscaling describe-auto-scaling-groups`,
//     `describe-policies` and `describe-scheduled-actions`.
//
// Step and simple scaling policies are invoked by CloudWatch alarms whose
// metric, threshold and periods the policy outputs do not print: the output
// of `aws cloudwatch describe-alarms` for those alarms is read beside them.
//
// The outputs may be one file each (ParseFiles), or merged into one JSON
// object or one file of several objects (Parse). A policy is one scalable
// target or one Auto Scaling group; a file of several is an error that says
// how to filter the describe commands.
//
// The JSON is read with the byte offset of every value, so that each
// problem names the file, the line and the JSON path of the field
// (ScalingPolicies[1].TargetTrackingScalingPolicyConfiguration.TargetValue).
// What headroom does not model (predictive scaling that acts, memory and
// network metrics, metric math, alarms on percentiles or on periods longer
// than a minute) is an error, never silently dropped; where the translation
// approximates (request counts per period read as requests per second,
// custom metrics, EC2 step scaling's warm-up read as a cooldown), a warning
// or the documentation says so.
//
// See docs/AWS.md for the mapping, field by field.
package aws
