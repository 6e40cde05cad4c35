package provision

import (
	"context"
	"errors"
	"fmt"
	"github.com/orion-oss/orion/infra/engine/sam"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func (p *Provisioner) table(ctx context.Context, name string, props map[string]any) (Result, error) {
	if n := sam.String(props, "TableName"); n != "" {
		name = n
	}
	in := &dynamodb.CreateTableInput{}
	// Only the members CreateTable shares with the CloudFormation resource are copied this way; the
	// ones whose shapes differ (streams, SSE, TTL, PITR, tags on some emulators) are mapped by hand.
	shared := map[string]any{}
	for _, k := range []string{"AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
		"BillingMode", "ProvisionedThroughput", "TableClass", "DeletionProtectionEnabled", "Tags"} {
		if v, ok := props[k]; ok {
			shared[k] = v
		}
	}
	if err := decode(shared, in); err != nil {
		return Result{}, fmt.Errorf("properties: %w", err)
	}
	in.TableName = aws.String(name)
	if in.BillingMode == "" {
		in.BillingMode = types.BillingModeProvisioned
	}
	if s := sam.Map(props, "StreamSpecification"); s != nil {
		in.StreamSpecification = &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewType(sam.String(s, "StreamViewType")),
		}
	}
	if s := sam.Map(props, "SSESpecification"); s != nil {
		in.SSESpecification = &types.SSESpecification{Enabled: aws.Bool(sam.Bool(s, "SSEEnabled"))}
		if t := sam.String(s, "SSEType"); t != "" {
			in.SSESpecification.SSEType = types.SSEType(t)
		}
	}

	desc, err := p.ddb.CreateTable(ctx, in)
	var inUse *types.ResourceInUseException
	var td *types.TableDescription
	switch {
	case err == nil:
		td = desc.TableDescription
	case errors.As(err, &inUse):
		out, derr := p.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName})
		if derr != nil {
			return Result{}, derr
		}
		td = out.Table
	default:
		return Result{}, err
	}

	if ttl := sam.Map(props, "TimeToLiveSpecification"); ttl != nil && sam.Bool(ttl, "Enabled") {
		_, err := p.ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: in.TableName,
			TimeToLiveSpecification: &types.TimeToLiveSpecification{
				AttributeName: aws.String(sam.String(ttl, "AttributeName")), Enabled: aws.Bool(true),
			},
		})
		// Enabling TTL twice is an error on AWS ("TimeToLive is already enabled"), not a failure here.
		if err != nil && !errors.As(err, new(*types.ResourceInUseException)) && !isValidation(err) {
			return Result{}, fmt.Errorf("time to live: %w", err)
		}
	}
	if pitr := sam.Map(props, "PointInTimeRecoverySpecification"); pitr != nil && sam.Bool(pitr, "PointInTimeRecoveryEnabled") {
		if _, err := p.ddb.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{
			TableName: in.TableName,
			PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{
				PointInTimeRecoveryEnabled: aws.Bool(true),
			},
		}); err != nil {
			return Result{}, fmt.Errorf("point-in-time recovery: %w", err)
		}
	}

	attrs := map[string]any{"Arn": aws.ToString(td.TableArn)}
	if td.LatestStreamArn != nil {
		attrs["StreamArn"] = aws.ToString(td.LatestStreamArn)
	}
	return Result{Ref: name, Attrs: attrs}, nil
}

// simpleTable is SAM's one-key table, created as CloudFormation would expand it.
func (p *Provisioner) simpleTable(ctx context.Context, name string, props map[string]any) (Result, error) {
	pk := sam.Map(props, "PrimaryKey")
	key, typ := "id", "String"
	if pk != nil {
		key, typ = sam.String(pk, "Name"), sam.String(pk, "Type")
	}
	short := map[string]string{"String": "S", "Number": "N", "Binary": "B"}[typ]
	table := map[string]any{
		"TableName":            props["TableName"],
		"AttributeDefinitions": []any{map[string]any{"AttributeName": key, "AttributeType": short}},
		"KeySchema":            []any{map[string]any{"AttributeName": key, "KeyType": "HASH"}},
		"BillingMode":          "PAY_PER_REQUEST",
		"SSESpecification":     props["SSESpecification"],
	}
	if table["TableName"] == nil {
		delete(table, "TableName")
	}
	if table["SSESpecification"] == nil {
		delete(table, "SSESpecification")
	}
	return p.table(ctx, name, table)
}
