package connections

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/ws"
)

var _ ws.SweepStore = (*Store)(nil)

// Expired lists the connections whose expiresAt (their token's exp, at most API Gateway's 2 hours) is
// not after now, from both partitions of the ByExpiry index (sort key expiresAt): the sweeper's query
// reads only what it ends, however many connections are open.
func (c *Store) Expired(ctx context.Context, now time.Time) ([]ws.Connection, error) {
	var out []ws.Connection
	for _, kind := range []string{sweepUser, sweepAdmin} {
		conns, err := c.byExpiry(ctx, kind, &now)
		if err != nil {
			return nil, err
		}
		out = append(out, conns...)
	}
	return out, nil
}

// Admins lists the admin connections (the index's admin partition), whose group the sweeper checks.
func (c *Store) Admins(ctx context.Context) ([]ws.Connection, error) {
	return c.byExpiry(ctx, sweepAdmin, nil)
}

func (c *Store) byExpiry(ctx context.Context, kind string, until *time.Time) ([]ws.Connection, error) {
	cond := "sweep = :k"
	values := map[string]types.AttributeValue{":k": connS(kind)}
	if until != nil {
		cond += " AND expiresAt <= :t"
		values[":t"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(until.Unix(), 10)}
	}
	p := dynamodb.NewQueryPaginator(c.db, &dynamodb.QueryInput{TableName: aws.String(c.table), IndexName: aws.String("ByExpiry"),
		KeyConditionExpression: aws.String(cond), ExpressionAttributeValues: values})
	var out []ws.Connection
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("connections: query ByExpiry %s: %w", kind, err)
		}
		for _, item := range page.Items {
			conn, err := connection(item)
			if err != nil {
				return nil, err
			}
			out = append(out, conn)
		}
	}
	return out, nil
}
