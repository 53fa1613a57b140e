package casework

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Upsert writes search attributes, and answers whether they were written: a failure
// is logged, and the workflow goes on (the attributes are an index, not the record).
func Upsert(ctx workflow.Context, updates []temporal.SearchAttributeUpdate) bool {
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Error("upserting search attributes", "error", err)
		return false
	}
	return true
}

// SetOrUnsetTime sets a time attribute, or unsets it for the zero time.
func SetOrUnsetTime(key temporal.SearchAttributeKeyTime, value time.Time) temporal.SearchAttributeUpdate {
	if value.IsZero() {
		return key.ValueUnset()
	}
	return key.ValueSet(value)
}

// SetOrUnset sets a keyword attribute, or unsets it for the empty string.
func SetOrUnset(key temporal.SearchAttributeKeyKeyword, value string) temporal.SearchAttributeUpdate {
	if value == "" {
		return key.ValueUnset()
	}
	return key.ValueSet(value)
}
