package store

import (
	"context"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestPrices(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if _, had, err := st.SetPrice(ctx, model.Price{SKUID: "ABC", AmountCents: 1050, Currency: "EUR", UpdatedBy: "a@x"}); err != nil || had {
		t.Fatalf("first price: had %v, %v", had, err)
	}
	old, had, err := st.SetPrice(ctx, model.Price{SKUID: "abc", AmountCents: 999, Currency: "USD", UpdatedBy: "b@x"})
	if err != nil || !had || old.AmountCents != 1050 || old.Currency != "EUR" {
		t.Fatalf("second price: old %+v had %v, %v", old, had, err)
	}
	ps, err := st.Prices(ctx)
	if err != nil || len(ps) != 1 || ps["abc"].AmountCents != 999 || ps["abc"].UpdatedBy != "b@x" || ps["abc"].UpdatedAt.IsZero() {
		t.Fatalf("Prices = %+v, %v", ps, err)
	}
	if _, err := st.DB().Exec(`INSERT INTO sku_prices VALUES ('x', -1, 'EUR', 0, '')`); err == nil {
		t.Error("a negative price was stored")
	}
	if old, had, err := st.DeletePrice(ctx, "ABC"); err != nil || !had || old.Currency != "USD" {
		t.Fatalf("delete: %+v %v %v", old, had, err)
	}
	if _, had, err := st.DeletePrice(ctx, "abc"); err != nil || had {
		t.Fatalf("delete again: %v %v", had, err)
	}
}
