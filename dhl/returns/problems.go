package returns

import "github.com/labelagent/labelagent/dhl/address"

// Problems are the English wordings of the problem codes Order.Validate
// records (besides address.Common). The codes are stable: the agent words
// each one in the reader's language from its catalog (dhlcheck.<code>).
func Problems() address.Words { return problems }

var problems = address.NewWords(map[string]string{
	"returns_not_label_type":        `"{{.value}}" is not SHIPMENT_LABEL, QR_LABEL or BOTH`,
	"returns_customer_reference":    `"{{.value}}" is not allowed (no | or \)`,
	"returns_house_required":        `is required: the Returns API wants street and house number apart, and none was found in "{{.street}}"`,
	"returns_qr_germany_only":       "QR codes (mobile return) exist only for senders in Germany; use SHIPMENT_LABEL for {{.country}}",
	"returns_weight_required":       "is required for returns from {{.country}}",
	"returns_items_required":        "at least one item (description, quantity, weight, value) is required for returns from {{.country}}",
	"returns_quantity_at_least_one": "must be at least 1",
	"returns_one_currency":          "all items need the same currency ({{.currency}})",
	"returns_not_weight_unit":       `"{{.value}}" is not g or kg`,
	"returns_weight_positive":       "must be more than 0",
	"returns_not_currency":          `"{{.value}}" is not an ISO 4217 currency code such as EUR`,
	"returns_value_negative":        "must not be negative",
})
