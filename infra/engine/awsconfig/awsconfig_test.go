package awsconfig_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/orion-oss/orion/infra/engine/awsconfig"
)

func TestLoad(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != awsconfig.DefaultRegion || cfg.Retryer().MaxAttempts() != awsconfig.MaxAttempts {
		t.Fatalf("region %q, %d attempts; want %q and %d", cfg.Region, cfg.Retryer().MaxAttempts(), awsconfig.DefaultRegion, awsconfig.MaxAttempts)
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	if cfg, _ = awsconfig.Load(context.Background()); cfg.Region != "eu-west-1" {
		t.Errorf("region %q; want AWS_REGION's", cfg.Region)
	}
	if cfg, _ = awsconfig.Load(context.Background(), config.WithRegion("ap-south-1")); cfg.Region != "ap-south-1" {
		t.Errorf("region %q; want the option's", cfg.Region)
	}
	if len(cfg.APIOptions) != 0 {
		t.Errorf("%d API options; want none (the engine's own calls are not traced)", len(cfg.APIOptions))
	}
}
