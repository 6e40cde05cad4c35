package provision

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/orion-oss/orion/infra/engine/sam"
)

// kmsKey creates an AWS::KMS::Key: its policy, usage and rotation as declared. Ref is the key id and
// Arn its ARN, as CloudFormation answers. A key has no name to find it by, so a restart against an
// emulator that kept its state creates another; locally that costs nothing.
func (p *Provisioner) kmsKey(ctx context.Context, name string, props map[string]any) (Result, error) {
	in := &kms.CreateKeyInput{Description: aws.String(sam.String(props, "Description")),
		Tags: []kmstypes.Tag{{TagKey: aws.String("orion:logical-name"), TagValue: aws.String(name)}}}
	if pol, ok := props["KeyPolicy"]; ok {
		b, err := json.Marshal(pol)
		if err != nil {
			return Result{}, err
		}
		in.Policy = aws.String(string(b))
	}
	if u := sam.String(props, "KeyUsage"); u != "" {
		in.KeyUsage = kmstypes.KeyUsageType(u)
	}
	if s := sam.String(props, "KeySpec"); s != "" {
		in.KeySpec = kmstypes.KeySpec(s)
	}
	out, err := p.kms.CreateKey(ctx, in)
	if err != nil {
		return Result{}, err
	}
	id := aws.ToString(out.KeyMetadata.KeyId)
	if sam.Bool(props, "EnableKeyRotation") {
		if _, err := p.kms.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(id)}); err != nil {
			return Result{}, fmt.Errorf("enable rotation: %w", err)
		}
	}
	arn := aws.ToString(out.KeyMetadata.Arn)
	if arn == "" {
		arn = p.arn("kms", "key/"+id)
	}
	return Result{Ref: id, Attrs: map[string]any{"Arn": arn, "KeyId": id}}, nil
}
