package stripe

// LastRefund exposes lastRefund to the tests against stripe-mock.
var LastRefund = (*Provider).lastRefund

// VoidRefused exposes voidRefused to the tests against stripe-mock, which cancels whatever it is
// asked to and so never refuses a void.
var VoidRefused = (*Provider).voidRefused

// RefundRemaining exposes refundRemaining to the tests against stripe-mock, which refunds whatever
// it is asked to and so never refuses an amount.
var RefundRemaining = (*Provider).refundRemaining
