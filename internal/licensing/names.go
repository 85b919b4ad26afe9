package licensing

import (
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Names resolves SKU and service plan GUIDs to the best name known: the friendly name from
// Microsoft's catalog, else the tenant's own skuPartNumber / servicePlanName, else the GUID.
// It also knows which plans each SKU holds, which the error explanations need. A nil *Names
// is valid and knows nothing. Names is read-only after NewNames, so safe for concurrent use.
type Names struct {
	skus  map[string]*skuInfo
	plans map[string]*planInfo
}

type skuInfo struct {
	friendly    string
	partNumber  string
	plans       []string // plan GUIDs
	tenantPlans bool     // plans come from the tenant's subscribedSkus, not the catalog
}

type planInfo struct {
	friendly string
	name     string // servicePlanName
}

// NewNames builds the name index from Microsoft's catalog and the tenant's subscribed SKUs.
// Either may be empty. The tenant's part numbers and plan lists win over the catalog's (they
// are what the tenant really has); the catalog's friendly names win over everything. The
// built-in table (builtinProducts, from Microsoft's CSV) comes last: it names what neither
// knows, and a plan whose imported name is only its technical one ("YAMMER_ENTERPRISE").
func NewNames(products []model.Product, tenant []model.SKU) *Names {
	n := newNames(products, tenant)
	for _, p := range builtinProducts {
		s := n.sku(p.SKUID)
		if s.friendly == "" {
			s.friendly = p.DisplayName
		}
		if s.partNumber == "" {
			s.partNumber = p.PartNumber
		}
		if len(s.plans) == 0 {
			for _, pl := range p.Plans {
				s.plans = append(s.plans, pl.PlanID)
			}
		}
		for _, pl := range p.Plans {
			n.addPlan(pl.PlanID, pl.Name, pl.FriendlyName)
		}
	}
	return n
}

func newNames(products []model.Product, tenant []model.SKU) *Names {
	n := &Names{
		skus:  make(map[string]*skuInfo, len(products)+len(tenant)),
		plans: make(map[string]*planInfo, 1024),
	}
	for _, p := range products {
		id := model.NormalizeID(p.SKUID)
		if id == "" {
			continue
		}
		s := n.sku(id)
		if s.friendly == "" {
			s.friendly = strings.TrimSpace(p.DisplayName)
		}
		if s.partNumber == "" {
			s.partNumber = strings.TrimSpace(p.PartNumber)
		}
		if len(s.plans) == 0 {
			for _, pl := range p.Plans {
				if pid := model.NormalizeID(pl.PlanID); pid != "" {
					s.plans = append(s.plans, pid)
				}
			}
		}
		for _, pl := range p.Plans {
			n.addPlan(pl.PlanID, pl.Name, pl.FriendlyName)
		}
	}
	for _, t := range tenant {
		id := model.NormalizeID(t.ID)
		if id == "" {
			continue
		}
		s := n.sku(id)
		if pn := strings.TrimSpace(t.PartNumber); pn != "" {
			s.partNumber = pn
		}
		if len(t.ServicePlans) > 0 {
			s.plans = s.plans[:0:0]
			s.tenantPlans = true
			for _, sp := range t.ServicePlans {
				if pid := model.NormalizeID(sp.ID); pid != "" {
					s.plans = append(s.plans, pid)
				}
				n.addPlan(sp.ID, sp.Name, "")
			}
		}
	}
	return n
}

func (n *Names) sku(id string) *skuInfo {
	s, ok := n.skus[id]
	if !ok {
		s = &skuInfo{}
		n.skus[id] = s
	}
	return s
}

func (n *Names) addPlan(rawID, name, friendly string) {
	id := model.NormalizeID(rawID)
	if id == "" {
		return
	}
	name, friendly = strings.TrimSpace(name), strings.TrimSpace(friendly)
	p, ok := n.plans[id]
	if !ok {
		p = &planInfo{}
		n.plans[id] = p
	}
	if p.name == "" {
		p.name = name
	}
	// Microsoft's file gives some plans several friendly names, a few of them just the
	// technical name or shouted in capitals; keep the most readable, first one on a tie.
	if nameQuality(friendly, p.name) > nameQuality(p.friendly, p.name) {
		p.friendly = friendly
	}
}

// nameQuality ranks a friendly plan name: 0 none, 1 the technical name or all capitals, 2 good.
func nameQuality(friendly, technical string) int {
	switch {
	case friendly == "":
		return 0
	case strings.EqualFold(friendly, technical), friendly == strings.ToUpper(friendly):
		return 1
	}
	return 2
}

// SKU is the best name for a SKU id: friendly name, else skuPartNumber, else the id itself.
func (n *Names) SKU(id string) string {
	if s := n.lookupSKU(id); s != nil {
		if s.friendly != "" {
			return s.friendly
		}
		if s.partNumber != "" {
			return s.partNumber
		}
	}
	return strings.TrimSpace(id)
}

// SKUPartNumber is the SKU's skuPartNumber (String_Id), or "" when not known.
func (n *Names) SKUPartNumber(id string) string {
	if s := n.lookupSKU(id); s != nil {
		return s.partNumber
	}
	return ""
}

// SKUPlans lists the service plan ids a SKU holds, from the tenant if it subscribes to the SKU,
// else from the catalog; nil when unknown. The slice must not be modified.
func (n *Names) SKUPlans(id string) []string {
	if s := n.lookupSKU(id); s != nil {
		return s.plans
	}
	return nil
}

// Plan is the best name for a service plan id: friendly name, else servicePlanName, else the id.
func (n *Names) Plan(id string) string {
	if p := n.lookupPlan(id); p != nil {
		if p.friendly != "" {
			return p.friendly
		}
		if p.name != "" {
			return p.name
		}
	}
	return strings.TrimSpace(id)
}

// ServicePlanName is the plan's technical servicePlanName (e.g. "EXCHANGE_S_STANDARD"), or ""
// when not known.
func (n *Names) ServicePlanName(id string) string {
	if p := n.lookupPlan(id); p != nil {
		return p.name
	}
	return ""
}

// NamedSKU pairs a SKU id with its best name.
func (n *Names) NamedSKU(id string) model.NamedSKU {
	return model.NamedSKU{ID: strings.TrimSpace(id), Name: n.SKU(id)}
}

// NamedPlan pairs a service plan id with its best name.
func (n *Names) NamedPlan(id string) model.NamedPlan {
	return model.NamedPlan{ID: strings.TrimSpace(id), Name: n.Plan(id)}
}

func (n *Names) lookupSKU(id string) *skuInfo {
	if n == nil {
		return nil
	}
	return n.skus[model.NormalizeID(id)]
}

func (n *Names) lookupPlan(id string) *planInfo {
	if n == nil {
		return nil
	}
	return n.plans[model.NormalizeID(id)]
}
