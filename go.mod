module github.com/orion-oss/orion

go 1.26.8

require (
	github.com/MicahParks/keyfunc/v3 v3.3.10
	github.com/aws/aws-lambda-go v1.55.1
	github.com/aws/aws-sdk-go-v2 v1.48.0
	github.com/aws/aws-sdk-go-v2/config v1.33.18
	github.com/aws/aws-sdk-go-v2/credentials v1.21.0
	// Held at the last releases before schema-based (de)serialization (dynamodb v1.69.0, dynamodbstreams
	// v1.42.0, sesv2 v1.75.0): their schemas packages build every API shape's schema at init, a cost paid
	// at each cold start (docs/adr/0006-held-sdk-versions.md has the measurement and when to revisit).
	// architecture_test.go fails if a function links a schemas package again. attributevalue v1.21.4 is
	// the release that requires them.
	github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue v1.21.4
	github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi v1.38.0
	github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider v1.61.0
	github.com/aws/aws-sdk-go-v2/service/dynamodb v1.68.0
	github.com/aws/aws-sdk-go-v2/service/dynamodbstreams v1.41.0
	github.com/aws/aws-sdk-go-v2/service/eventbridge v1.55.10
	github.com/aws/aws-sdk-go-v2/service/kms v1.62.6
	github.com/aws/aws-sdk-go-v2/service/lambda v1.114.3
	github.com/aws/aws-sdk-go-v2/service/ses v1.42.9
	github.com/aws/aws-sdk-go-v2/service/sesv2 v1.74.0
	github.com/aws/aws-sdk-go-v2/service/sfn v1.41.2
	github.com/aws/aws-sdk-go-v2/service/sns v1.47.10
	// Held for the same reason at its last release before schema-based serialization (v1.49.0), since
	// apply-fulfilment sends with it: with v1.52.11 the function measured 1.57-1.69x hello-world.
	github.com/aws/aws-sdk-go-v2/service/sqs v1.48.1
	// Held for the same reason at its last release before schema-based serialization (v1.80.0): ssm
	// v1.82.1's schemas package costs 1.2-1.3 ms, 7,883 allocations and 1.4 MB at every cold start of
	// each function that reads a secret, and 1.19 MiB of binary (docs/adr/0012-stripe-without-stripe-go.md).
	github.com/aws/aws-sdk-go-v2/service/ssm v1.79.3
	github.com/aws/smithy-go v1.28.9
	// JSONata for local Step Functions (infra/engine/states only; no Lambda binary links it). Parity with
	// jsonata-js 1.5.4 plus later functions; AWS implements 2.0.6: ADR 0024 measures the differences.
	github.com/blues/jsonata-go v1.5.4
	github.com/coder/websocket v1.8.14
	github.com/golang-jwt/jwt/v5 v5.2.2
	github.com/oklog/ulid/v2 v2.1.1
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.2
	go.yaml.in/yaml/v3 v3.0.6
)

require (
	github.com/MicahParks/jwkset v0.8.0 // indirect
	github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream v1.7.26 // indirect
	github.com/aws/aws-sdk-go-v2/feature/ec2/imds v1.20.9 // indirect
	github.com/aws/aws-sdk-go-v2/internal/configsources v1.5.12 // indirect
	github.com/aws/aws-sdk-go-v2/internal/endpoints/v2 v2.8.12 // indirect
	github.com/aws/aws-sdk-go-v2/internal/v4a v1.5.12 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/accept-encoding v1.13.25 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/endpoint-discovery v1.13.12 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/presigned-url v1.14.12 // indirect
	github.com/aws/aws-sdk-go-v2/service/signin v1.13.1 // indirect
	github.com/aws/aws-sdk-go-v2/service/sso v1.39.5 // indirect
	github.com/aws/aws-sdk-go-v2/service/ssooidc v1.44.5 // indirect
	github.com/aws/aws-sdk-go-v2/service/sts v1.52.0 // indirect
	golang.org/x/text v0.14.0 // indirect
	golang.org/x/time v0.9.0 // indirect
)
