package licensing

import (
	"fmt"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// BenchmarkPredict measures the consequence engine for a large group: a swap of E3 for E5 plus
// Defender for every member, each also holding licenses from an older group and directly.
func BenchmarkPredict(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 50_000} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			skus := fixtureSKUs(map[string]int{skuE5: n / 2, skuDefender: n, skuE3: 0})
			names := NewNames(nil, skus)
			older := GroupTemplate{ID: otherGrp, Template: []model.AssignedLicense{lic(studentSKU, plYamEdu, plSPOEdu, plEXO1)}, Created: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
			g := GroupTemplate{ID: grp, Template: []model.AssignedLicense{lic(skuE3)}, Created: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
			members := make([]model.User, n)
			for i := range members {
				u := predictMember(fmt.Sprintf("u%06d", i), "US", grp+":"+skuE3, otherGrp+":"+studentSKU)
				if i%10 == 0 {
					u = predictMember(fmt.Sprintf("u%06d", i), "", grp+":"+skuE3, "direct:"+skuAudio)
				}
				members[i] = u
			}
			in := PredictInput{Names: names, SKUs: skus, Groups: []GroupTemplate{older, g}, Group: g,
				Proposed: []model.AssignedLicense{lic(skuE5, planPhone), lic(skuDefender)}, Members: members}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				c := Predict(in)
				if len(c.Members) != n {
					b.Fatal(len(c.Members))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/member")
		})
	}
}
