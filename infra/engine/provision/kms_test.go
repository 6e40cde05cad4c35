package provision_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/provision"
)

// The alarm topic's customer managed key exists in the emulator with its policy and rotation, and the
// topic is created encrypted with it, as the template declares (Ref is the key id, Arn its ARN).
func TestKeyAndTopicEncryptedWithIt(t *testing.T) {
	ctx := context.Background()
	cfg := awstest.Config(t)
	p := provision.New(cfg, account)
	policy := map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Sid": "Account", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + account + ":root"}, "Action": "kms:*", "Resource": "*"},
		map[string]any{"Sid": "CloudWatchAlarms", "Effect": "Allow", "Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
			"Action": []any{"kms:Decrypt", "kms:GenerateDataKey*"}, "Resource": "*"},
	}}
	key, err := p.Create(ctx, "AWS::KMS::Key", awstest.Name(t, "key"), map[string]any{"Description": "alarms", "EnableKeyRotation": true, "KeyPolicy": policy})
	if err != nil {
		t.Fatal(err)
	}
	arn, _ := key.Attrs["Arn"].(string)
	if key.Ref == "" || !strings.HasPrefix(arn, "arn:aws:kms:") || !strings.HasSuffix(arn, "key/"+key.Ref) {
		t.Fatalf("Ref %q, Arn %q", key.Ref, arn)
	}
	kc := kms.NewFromConfig(cfg)
	rot, err := kc.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(key.Ref)})
	if err != nil || !rot.KeyRotationEnabled {
		t.Errorf("rotation: %+v %v", rot, err)
	}
	got, err := kc.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(key.Ref), PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if json.Unmarshal([]byte(aws.ToString(got.Policy)), &doc) != nil || !strings.Contains(aws.ToString(got.Policy), "cloudwatch.amazonaws.com") {
		t.Errorf("key policy %s", aws.ToString(got.Policy))
	}

	topic, err := p.Create(ctx, "AWS::SNS::Topic", awstest.Name(t, "alarms"), map[string]any{"KmsMasterKeyId": arn})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := sns.NewFromConfig(cfg).GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topic.Ref)})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["KmsMasterKeyId"] != arn {
		t.Errorf("topic KmsMasterKeyId = %q; want the key %q", attrs.Attributes["KmsMasterKeyId"], arn)
	}
}
