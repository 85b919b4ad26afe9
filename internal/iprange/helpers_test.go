package iprange

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// dataDir finds shared/data/ipranges by walking up from the package directory.
func dataDir(t testing.TB) string {
	t.Helper()
	return testkit.SharedData(t, "ipranges")
}

func readData(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// realFiles maps each source to its file in shared/data/ipranges.
var realFiles = []struct {
	kind     Kind
	instance string
	file     string
	version  string
}{
	{KindM365, InstanceWorldwide, "m365_endpoints_worldwide.json", "2025120100"},
	{KindM365, InstanceUSGovDoD, "m365_endpoints_usgov_dod.json", "2025120100"},
	{KindM365, InstanceUSGovGCCHigh, "m365_endpoints_usgov_gcchigh.json", "2025120100"},
	{KindM365, InstanceChina, "m365_endpoints_china.json", "2025120100"},
	{KindServiceTags, "Public", "ServiceTags_Public_20251103.json", "376"},
	{KindServiceTags, "AzureGovernment", "ServiceTags_AzureGovernment_20260720.json", "402"},
	{KindServiceTags, "China", "ServiceTags_China_20260720.json", "405"},
}

var (
	realOnce    sync.Once
	realSources []model.IPSource
)

// loadRealSources returns every real file as a stored source, in store order (kind, instance).
func loadRealSources(t testing.TB) []model.IPSource {
	t.Helper()
	dataDir(t)
	realOnce.Do(func() {
		at := time.Date(2026, 7, 20, 8, 0, 0, 0, time.UTC)
		for _, f := range realFiles {
			realSources = append(realSources, model.IPSource{Kind: string(f.kind), Instance: f.instance,
				Version: f.version, FetchedAt: at, CheckedAt: at, URL: "file:" + f.file, Raw: readData(t, f.file)})
		}
	})
	return realSources
}

var (
	realIdxOnce sync.Once
	realIdx     *Index
	realIdxErr  error
)

func realIndex(t testing.TB) *Index {
	t.Helper()
	srcs := loadRealSources(t)
	realIdxOnce.Do(func() { realIdx, realIdxErr = Build(srcs) })
	if realIdxErr != nil {
		t.Fatal(realIdxErr)
	}
	return realIdx
}
