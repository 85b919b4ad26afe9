package iprange

import (
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/tenantdesk/tenantdesk/internal/text"
)

// ServiceTags is an Azure service tags file (ServiceTags_<cloud>_<date>.json).
type ServiceTags struct {
	ChangeNumber int
	Cloud        string // Public, AzureGovernment, China
	Values       []ServiceTag
}

// ServiceTag is one tag of a service tags file, e.g. Storage.WestEurope.
type ServiceTag struct {
	Name            string
	ID              string
	ChangeNumber    int
	Region          string // "" for global tags
	RegionID        int
	Platform        string
	SystemService   string
	AddressPrefixes []netip.Prefix // IPv4 and IPv6 mixed
	NetworkFeatures []string       // nil when the file says null
}

type wireServiceTags struct {
	ChangeNumber *int             `json:"changeNumber"`
	Cloud        *string          `json:"cloud"`
	Values       []wireServiceTag `json:"values"`
}

type wireServiceTag struct {
	Name       *string `json:"name"`
	ID         *string `json:"id"`
	Properties *struct {
		ChangeNumber    *int     `json:"changeNumber"`
		Region          *string  `json:"region"`
		RegionID        *int     `json:"regionId"`
		Platform        *string  `json:"platform"`
		SystemService   *string  `json:"systemService"`
		AddressPrefixes []string `json:"addressPrefixes"`
		NetworkFeatures []string `json:"networkFeatures"`
	} `json:"properties"`
}

// ParseServiceTags parses an Azure service tags file. Like ParseEndpoints it is strict about the
// fields every file has and the form of every value, tolerant of unknown fields, and all or
// nothing.
func ParseServiceTags(data []byte) (*ServiceTags, error) {
	data = trimBOM(data)
	if len(data) > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: service tags: document is %d bytes, limit %d", ErrInvalid, len(data), MaxDocumentBytes)
	}
	if first := firstByte(data); first != '{' {
		return nil, fmt.Errorf("%w: service tags: want a JSON object, document starts with %s", ErrInvalid, describeByte(first))
	}
	var w wireServiceTags
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("%w: service tags: %v", ErrInvalid, err)
	}
	if w.ChangeNumber == nil || *w.ChangeNumber <= 0 {
		return nil, fmt.Errorf(`%w: service tags: "changeNumber" is missing or not positive`, ErrInvalid)
	}
	if w.Cloud == nil {
		return nil, fmt.Errorf(`%w: service tags: "cloud" is missing`, ErrInvalid)
	}
	cloud, err := checkName("cloud", *w.Cloud, false)
	if err != nil {
		return nil, fmt.Errorf("%w: service tags: %v", ErrInvalid, err)
	}
	if len(w.Values) == 0 {
		return nil, fmt.Errorf(`%w: service tags: "values" is missing or empty`, ErrInvalid)
	}
	if len(w.Values) > maxTags {
		return nil, fmt.Errorf("%w: service tags: %d tags, limit %d", ErrInvalid, len(w.Values), maxTags)
	}
	st := &ServiceTags{ChangeNumber: *w.ChangeNumber, Cloud: cloud, Values: make([]ServiceTag, 0, len(w.Values))}
	seen := make(map[string]bool, len(w.Values))
	total := 0
	for i, v := range w.Values {
		tag, err := v.validate()
		if err != nil {
			name := ""
			if v.Name != nil {
				name = fmt.Sprintf(" (%s)", text.Clip(*v.Name, 80))
			}
			return nil, fmt.Errorf("%w: service tag #%d%s: %v", ErrInvalid, i+1, name, err)
		}
		if seen[tag.Name] {
			return nil, fmt.Errorf("%w: service tag #%d: %q appears twice", ErrInvalid, i+1, tag.Name)
		}
		seen[tag.Name] = true
		if total += len(tag.AddressPrefixes); total > maxTotalItems {
			return nil, fmt.Errorf("%w: service tags: more than %d prefixes", ErrInvalid, maxTotalItems)
		}
		st.Values = append(st.Values, tag)
	}
	return st, nil
}

func (v wireServiceTag) validate() (ServiceTag, error) {
	var t ServiceTag
	p := v.Properties
	switch {
	case v.Name == nil:
		return t, fmt.Errorf(`"name" is missing`)
	case v.ID == nil:
		return t, fmt.Errorf(`"id" is missing`)
	case p == nil:
		return t, fmt.Errorf(`"properties" is missing`)
	case p.ChangeNumber == nil:
		return t, fmt.Errorf(`"changeNumber" is missing`)
	case p.Region == nil:
		return t, fmt.Errorf(`"region" is missing`)
	case p.Platform == nil:
		return t, fmt.Errorf(`"platform" is missing`)
	case p.SystemService == nil:
		return t, fmt.Errorf(`"systemService" is missing`)
	case p.AddressPrefixes == nil:
		return t, fmt.Errorf(`"addressPrefixes" is missing`)
	}
	var err error
	if t.Name, err = checkName("name", *v.Name, false); err != nil {
		return t, err
	}
	if t.ID, err = checkName("id", *v.ID, false); err != nil {
		return t, err
	}
	if t.Region, err = checkName("region", *p.Region, true); err != nil {
		return t, err
	}
	if t.Platform, err = checkName("platform", *p.Platform, true); err != nil {
		return t, err
	}
	if t.SystemService, err = checkName("systemService", *p.SystemService, true); err != nil {
		return t, err
	}
	if *p.ChangeNumber < 0 {
		return t, fmt.Errorf(`"changeNumber" %d is negative`, *p.ChangeNumber)
	}
	t.ChangeNumber = *p.ChangeNumber
	if p.RegionID != nil {
		if *p.RegionID < 0 {
			return t, fmt.Errorf(`"regionId" %d is negative`, *p.RegionID)
		}
		t.RegionID = *p.RegionID
	}
	if len(p.AddressPrefixes) > maxListItems {
		return t, fmt.Errorf("%d prefixes, limit %d", len(p.AddressPrefixes), maxListItems)
	}
	if t.AddressPrefixes, err = parsePrefixes(p.AddressPrefixes, "addressPrefixes"); err != nil {
		return t, err
	}
	if len(p.NetworkFeatures) > 64 {
		return t, fmt.Errorf(`"networkFeatures" has %d entries`, len(p.NetworkFeatures))
	}
	for _, f := range p.NetworkFeatures {
		if _, err := checkName("networkFeatures", f, false); err != nil {
			return t, err
		}
	}
	t.NetworkFeatures = p.NetworkFeatures
	return t, nil
}
