# Orion — one Makefile for building, testing, running and deploying.
# `make dev` runs the whole system locally; `make test` runs every test against a local AWS endpoint.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO        ?= go
FUNCTIONS := $(patsubst functions/%/,%,$(sort $(dir $(wildcard functions/*/main.go))))
# Lambda builds: the flags AWS recommends for provided.al2023 on Graviton, reproducible and small.
LAMBDA_ENV   := CGO_ENABLED=0 GOOS=linux GOARCH=arm64
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags "-s -w"
ENDPOINT     := $(GO) run ./infra/engine/cmd/awsendpoint
ENV          ?= default

.PHONY: help build build-lambda build-host test test-unit e2e-aws lint fmt vet dev bench soak redrive timeline fuzz fuzz-short deploy clean

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: build-lambda build-host ## build every function for Lambda (linux/arm64) and for this host

build-lambda:
	@for f in $(FUNCTIONS); do \
	  echo "lambda  $$f"; \
	  $(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o build/lambda/$$f/bootstrap ./functions/$$f; \
	done

build-host:
	@for f in $(FUNCTIONS); do \
	  echo "host    $$f"; \
	  CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -o build/host/$$f/bootstrap ./functions/$$f; \
	done

# The e2e package runs against a `make dev` system in external mode beside the other packages, then
# in-process for what needs the in-process runtime only, beside the short soak (infra/scripts/test.sh;
# what takes the time: docs/adr/0025).
test: build-host ## run every test (unit, integration, end to end, the short soak) against a local AWS endpoint
	$(ENDPOINT) run -- env GO=$(GO) infra/scripts/test.sh

soak: build-host ## 2,000 orders under ~10% injected faults of every kind, checked from the data (docs/faults.md)
	ORION_SOAK=1 ORION_SOAK_ORDERS=$${ORION_SOAK_ORDERS:-2000} ORION_SOAK_FUNCTIONS=$(CURDIR)/build/host $(GO) test -count=1 -v -timeout 120m -run '^TestSoak$$' ./e2e/soak

# The stack's outputs as DescribeStacks gives them (plus StackName, to find its functions), then the e2e
# suite in external mode with the runner's AWS credentials; the suite deletes the users, items and bus tap
# it made, and this target the outputs file.
e2e-aws: ## run the e2e suite against a deployed stack: make e2e-aws STACK=<name> [REGION=<region>]
	@test -n "$(STACK)" || { echo "make e2e-aws STACK=<CloudFormation stack name> [REGION=<region>]: runs the e2e suite against that deployed stack"; exit 2; }
	@mkdir -p build/e2e-aws
	aws cloudformation describe-stacks --stack-name "$(STACK)" $(if $(REGION),--region "$(REGION)") --query 'Stacks[0].Outputs' --output json \
	  | python3 -c 'import json,sys; o={x["OutputKey"]: x["OutputValue"] for x in json.load(sys.stdin) or []}; o["StackName"]=sys.argv[1]; json.dump(o, sys.stdout, indent=2)' "$(STACK)" \
	  > build/e2e-aws/$(STACK).json
	@status=0; env -u AWS_ENDPOINT_URL $(if $(REGION),AWS_REGION="$(REGION)") ORION_STACK_OUTPUTS=build/e2e-aws/$(STACK).json \
	  $(GO) test -count=1 -v -timeout 30m ./e2e > build/e2e-aws/$(STACK).log 2>&1 || status=$$?; \
	  grep -E '^(--- FAIL|FAIL|panic|e2e:)' build/e2e-aws/$(STACK).log || true; \
	  infra/scripts/e2e-summary.sh < build/e2e-aws/$(STACK).log; \
	  rm -f build/e2e-aws/$(STACK).json; echo "the whole log: build/e2e-aws/$(STACK).log"; exit $$status

test-unit: ## tests that need no AWS endpoint
	$(GO) test -count=1 . ./internal/money/... ./internal/order/... ./internal/inventory/... ./internal/customer/... ./internal/event/... ./internal/command/... ./internal/query/... ./internal/projection/... ./internal/account/...

lint: vet ## gofmt, go vet, cfn-lint, the offline SAM transform, ASL validation
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	infra/scripts/lint.sh

vet:
	$(GO) vet ./...

fmt: ## format the Go code
	gofmt -w $$(git ls-files '*.go')

# PAYMENTS picks the payment provider: sandbox (the default), stripe-mock (Stripe's API mock on this
# machine), or stripe-test (Stripe in test mode, with STRIPE_SECRET_KEY=sk_test_... from your shell).
dev: build-host ## run the whole system locally (no Docker): HTTP API on :3000, AWS endpoint on :4567; make dev PAYMENTS=stripe-mock|stripe-test for Stripe
	$(GO) run ./infra/orion/cmd/dev $(if $(PAYMENTS),-payments "$(PAYMENTS)")

bench: build-host ## measure sizes, cold starts, handlers, work and cost per order, throughput; writes docs/benchmarks.md and docs/cost.md
	$(GO) run ./infra/orion/cmd/benchreport

# The outbox Pipes' DLQ needs OUTBOX_TABLE and BUS (the stack outputs OutboxTableName and EventBusName).
redrive: ## give a dead-letter queue's messages back: make redrive QUEUE=<url> [OUTBOX_TABLE=<name> BUS=<name>] [DRY_RUN=1]
	@test -n "$(QUEUE)" || { echo "make redrive QUEUE=<dead-letter queue URL> (the stack's *DeadLetterQueueUrl outputs) [OUTBOX_TABLE=<OutboxTableName> BUS=<EventBusName>]"; exit 2; }
	$(GO) run ./infra/orion/cmd/redrive -queue "$(QUEUE)" $(if $(OUTBOX_TABLE),-outbox-table "$(OUTBOX_TABLE)") $(if $(BUS),-bus "$(BUS)") $(if $(DRY_RUN),-dry-run)

timeline: ## print one order's story from the local system (make dev running): make timeline ORDER=<id>
	@test -n "$(ORDER)" || { echo "make timeline ORDER=<order id>"; exit 2; }
	$(GO) run ./infra/orion/cmd/timeline "$(ORDER)"

fuzz: ## run every fuzz target for FUZZTIME each (default 30s)
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-30s} $$pkg; \
	  done; \
	done

# Every fuzz target (found by name, without compiling every package to list them) for FUZZTIME each,
# 3s by default: what CI runs after make test. One AWS endpoint serves the packages whose TestMain wants one.
fuzz-short: ## run every fuzz target briefly (FUZZTIME, default 3s), as CI does
	$(ENDPOINT) run -- env GO=$(GO) FUZZTIME=$(or $(FUZZTIME),3s) infra/scripts/fuzz-short.sh

# sam build's Go builder (BuildMethod: go1.x) takes the flags through GOFLAGS, whose values cannot hold
# spaces; since Go 1.22 -s also drops DWARF, as -w does. CGO_ENABLED=0: provided.al2023 on arm64 runs a
# static binary, and a cgo build would link the build machine's libc.
# ENV=localstack deploys into LocalStack with samlocal (pip install aws-sam-cli-local), never with plain
# sam, which would deploy to the AWS account of the shell's credentials. LocalStack's CloudFormation
# skips resource types it does not provide unless its container runs with
# CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES=0: a "deployed" stack would then miss its HTTP API, user pool or
# pipes without a word. The free edition provides none of them (API Gateway v2 and Cognito need the Base
# plan, Pipes and CodeDeploy the Ultimate plan: docs.localstack.cloud/api-coverage/v1/index.md).
SAM_BUILD_ENV := CGO_ENABLED=0 GOFLAGS='-tags=lambda.norpc -trimpath -ldflags=-s'
LOCALSTACK_URL ?= http://localhost:4566
deploy: ## build with SAM and deploy the samconfig environment ENV (default, prod, localstack)
ifeq ($(ENV),localstack)
	@command -v samlocal >/dev/null || { echo "make deploy ENV=localstack needs samlocal (pip install aws-sam-cli-local); plain sam would deploy to AWS" >&2; exit 2; }
	@cfg=$$(curl -sf $(LOCALSTACK_URL)/_localstack/config 2>/dev/null || true); \
	  if echo "$$cfg" | grep -Eq '"CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES": *(true|"1"|"true")'; then \
	    echo "LocalStack at $(LOCALSTACK_URL) skips unsupported resource types: restart it with CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES=0" >&2; exit 2; \
	  elif ! echo "$$cfg" | grep -Eq '"CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES": *(false|"0"|"false")'; then \
	    echo "******************************************************************************************"; \
	    echo "* Could not read LocalStack's config at $(LOCALSTACK_URL)/_localstack/config: make sure its *"; \
	    echo "* container runs with CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES=0, or the stack silently lacks  *"; \
	    echo "* the HTTP and WebSocket APIs, the user pool, the pipes and CodeDeploy (paid editions only). *"; \
	    echo "******************************************************************************************"; \
	  fi
	$(SAM_BUILD_ENV) samlocal build --config-env localstack
	samlocal deploy --config-env localstack
else
	$(SAM_BUILD_ENV) sam build --config-env $(ENV)
	sam deploy --config-env $(ENV)
endif

# The web console's files into a stack deployed with Console=true (docs/console.md): the site as it is
# in the tree (config.json is CloudFront's, written by the stack), then an invalidation so that the edge
# serves the new files at once.
.PHONY: console-publish
console-publish: ## copy the web console to a deployed stack: make console-publish STACK=<name> [REGION=<region>]
	@test -n "$(STACK)" || { echo "make console-publish STACK=<stack deployed with Console=true> [REGION=<region>]"; exit 2; }
	@out() { aws cloudformation describe-stacks --stack-name "$(STACK)" $(if $(REGION),--region "$(REGION)") \
	    --query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue" --output text; }; \
	  bucket=$$(out ConsoleBucketName); dist=$$(out ConsoleDistributionId); \
	  if [ -z "$$bucket" ] || [ "$$bucket" = None ]; then echo "stack $(STACK) has no console: deploy it with Console=true"; exit 2; fi; \
	  aws s3 sync --delete --exclude config.json infra/console/site "s3://$$bucket/" $(if $(REGION),--region "$(REGION)") && \
	  aws cloudfront create-invalidation --distribution-id "$$dist" --paths '/*' >/dev/null && \
	  echo "console: $$(out ConsoleUrl)"

clean: ## remove build output
	rm -rf build .aws-sam
