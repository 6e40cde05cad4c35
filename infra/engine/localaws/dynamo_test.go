package localaws

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestOpenLastShardsKeepsOnlySplitShardsClosed(t *testing.T) {
	in := `{"StreamDescription":{"Shards":[
		{"ShardId":"s1","SequenceNumberRange":{"StartingSequenceNumber":"1","EndingSequenceNumber":"9"}},
		{"ShardId":"s2","ParentShardId":"s1","SequenceNumberRange":{"StartingSequenceNumber":"10","EndingSequenceNumber":"12"}}],
		"StreamArn":"x","CreationRequestDateTime":1796316336.615504741}}`
	var out struct {
		StreamDescription struct {
			Shards []struct {
				ShardId             string
				SequenceNumberRange map[string]string
			}
			CreationRequestDateTime json.Number
		}
	}
	if err := json.Unmarshal(openLastShards([]byte(in)), &out); err != nil {
		t.Fatal(err)
	}
	sh := out.StreamDescription.Shards
	if len(sh) != 2 || sh[0].SequenceNumberRange["EndingSequenceNumber"] != "9" {
		t.Errorf("the split shard lost its end: %+v", sh)
	}
	if _, ok := sh[1].SequenceNumberRange["EndingSequenceNumber"]; ok || sh[1].SequenceNumberRange["StartingSequenceNumber"] != "10" {
		t.Errorf("the open shard: %+v", sh[1])
	}
	if out.StreamDescription.CreationRequestDateTime != "1796316336.615504741" {
		t.Errorf("a number changed: %s", out.StreamDescription.CreationRequestDateTime)
	}
}

func TestRegionOfTheCredentialScope(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
	if got := regionOf(r); got != "us-east-1" {
		t.Errorf("no Authorization: %s", got)
	}
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-3/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
	if got := regionOf(r); got != "eu-west-3" {
		t.Errorf("eu-west-3 scope: %s", got)
	}
}

// With Dynoxide installed, StartMoto's endpoint sends DynamoDB to it, in the account and region moto
// uses, and everything else to moto; ORION_LOCAL_DYNAMODB=moto keeps moto for everything.
func TestStartMotoRoutesDynamoDBToItsOwnEmulator(t *testing.T) {
	if dynoxideBinary() == "" {
		t.Skip("no Dynoxide binary (npm ci --prefix infra/tools): moto serves DynamoDB")
	}
	ep, err := StartMoto(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	if !strings.HasPrefix(ep.DynamoDB, "Dynoxide 1.") {
		t.Errorf("Endpoint.DynamoDB = %q", ep.DynamoDB)
	}
	call := func(target, body string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, ep.URL+"/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Date", "20260101T000000Z")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp, b.String()
	}
	resp, body := call("DynamoDB_20120810.CreateTable", `{"TableName":"routed","BillingMode":"PAY_PER_REQUEST",
		"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]}`)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Server"), "Dynoxide") {
		t.Fatalf("CreateTable: %d %s %s", resp.StatusCode, resp.Header.Get("Server"), body)
	}
	if !strings.Contains(body, `"arn:aws:dynamodb:us-east-1:123456789012:table/routed"`) {
		t.Errorf("table ARN not in moto's account and the request's region: %s", body)
	}
	if resp, body := call("DynamoDB_20120810.UpdateContinuousBackups", `{"TableName":"routed","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true}}`); resp.StatusCode != 200 || !strings.Contains(body, `"PointInTimeRecoveryStatus":"ENABLED"`) {
		t.Errorf("UpdateContinuousBackups: %d %s", resp.StatusCode, body)
	}
	if resp, _ := call("DynamoDB_20120810.DescribeContinuousBackups", `{"TableName":"missing"}`); resp.StatusCode != 400 {
		t.Errorf("DescribeContinuousBackups of a missing table: %d", resp.StatusCode)
	}
	if kind, err := Probe(context.Background(), strings.TrimPrefix(ep.URL, "http://")); err != nil || kind != KindMoto {
		t.Errorf("moto's own API through the router: %q, %v", kind, err)
	}

	t.Setenv("ORION_LOCAL_DYNAMODB", "moto")
	if dynoxideBinary() != "" {
		t.Error("ORION_LOCAL_DYNAMODB=moto still finds Dynoxide")
	}
}
