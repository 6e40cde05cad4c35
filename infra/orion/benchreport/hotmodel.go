package benchreport

// ItemSize is an item's size as DynamoDB bills it, from its JSON form: the meter's sizing, for the
// write-pattern recorder of infra/orion/ddbmodel/record (one sizing, not two).
func ItemSize(item map[string]any) int { return itemSize(item) }
