package graph

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Conversions from SDK models to domain types. Every getter may return nil: Graph leaves out
// what was not $selected.

func str(p *string) string { return deref(p) }

func guid(p *uuid.UUID) string {
	if p == nil {
		return ""
	}
	return p.String()
}

func guids(in []uuid.UUID) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, len(in))
	for i, u := range in {
		out[i] = u.String()
	}
	return out
}

func i32(p *int32) int { return int(deref(p)) }

func when(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.UTC()
}

func toSKU(s models.SubscribedSkuable) model.SKU {
	out := model.SKU{
		ID:               guid(s.GetSkuId()),
		PartNumber:       str(s.GetSkuPartNumber()),
		AppliesTo:        str(s.GetAppliesTo()),
		CapabilityStatus: str(s.GetCapabilityStatus()),
		ConsumedUnits:    i32(s.GetConsumedUnits()),
	}
	if p := s.GetPrepaidUnits(); p != nil {
		out.Prepaid = model.PrepaidUnits{
			Enabled:   i32(p.GetEnabled()),
			Suspended: i32(p.GetSuspended()),
			Warning:   i32(p.GetWarning()),
			LockedOut: i32(p.GetLockedOut()),
		}
	}
	for _, sp := range s.GetServicePlans() {
		if sp == nil {
			continue
		}
		out.ServicePlans = append(out.ServicePlans, model.ServicePlan{
			ID:                 guid(sp.GetServicePlanId()),
			Name:               str(sp.GetServicePlanName()),
			ProvisioningStatus: str(sp.GetProvisioningStatus()),
			AppliesTo:          str(sp.GetAppliesTo()),
		})
	}
	return out
}

func toAssigned(in []models.AssignedLicenseable) []model.AssignedLicense {
	var out []model.AssignedLicense
	for _, l := range in {
		if l == nil {
			continue
		}
		out = append(out, model.AssignedLicense{SKUID: guid(l.GetSkuId()), DisabledPlans: guids(l.GetDisabledPlans())})
	}
	return out
}

func toGroup(g models.Groupable) model.Group {
	out := model.Group{
		ID:               str(g.GetId()),
		DisplayName:      str(g.GetDisplayName()),
		Description:      str(g.GetDescription()),
		Mail:             str(g.GetMail()),
		GroupTypes:       g.GetGroupTypes(),
		SecurityEnabled:  deref(g.GetSecurityEnabled()),
		MailEnabled:      deref(g.GetMailEnabled()),
		MembershipRule:   str(g.GetMembershipRule()),
		AssignedLicenses: toAssigned(g.GetAssignedLicenses()),
		CreatedAt:        when(g.GetCreatedDateTime()),
	}
	if ps := g.GetLicenseProcessingState(); ps != nil {
		out.ProcessingState = str(ps.GetState())
	}
	return out
}

// objectType maps "#microsoft.graph.user" to model.ObjectUser, etc.
func objectType(odataType string) string {
	t := strings.TrimPrefix(strings.TrimPrefix(odataType, "#"), "microsoft.graph.")
	switch strings.ToLower(t) {
	case "user":
		return model.ObjectUser
	case "group":
		return model.ObjectGroup
	case "device":
		return model.ObjectDevice
	case "orgcontact":
		return model.ObjectContact
	}
	return t
}

func toDirectoryObject(o models.DirectoryObjectable) model.DirectoryObject {
	out := model.DirectoryObject{ID: str(o.GetId()), Type: objectType(str(o.GetOdataType()))}
	switch v := o.(type) {
	case models.Userable:
		out.Type = model.ObjectUser
		out.DisplayName = str(v.GetDisplayName())
		out.UserPrincipalName = str(v.GetUserPrincipalName())
		out.Mail = str(v.GetMail())
	case models.Groupable:
		out.Type = model.ObjectGroup
		out.DisplayName = str(v.GetDisplayName())
	case models.Deviceable:
		out.Type = model.ObjectDevice
		out.DisplayName = str(v.GetDisplayName())
	case models.OrgContactable:
		out.Type = model.ObjectContact
		out.DisplayName = str(v.GetDisplayName())
	default:
		// A type the SDK does not model: the name, if any, sits in the additional data.
		if s, ok := o.GetAdditionalData()["displayName"].(*string); ok {
			out.DisplayName = str(s)
		}
	}
	return out
}

func toAuditEvent(a models.DirectoryAuditable) model.AuditEvent {
	out := model.AuditEvent{
		ID:              str(a.GetId()),
		Category:        str(a.GetCategory()),
		CorrelationID:   str(a.GetCorrelationId()),
		ResultReason:    str(a.GetResultReason()),
		Activity:        str(a.GetActivityDisplayName()),
		At:              when(a.GetActivityDateTime()),
		LoggedByService: str(a.GetLoggedByService()),
		OperationType:   str(a.GetOperationType()),
	}
	if r := a.GetResult(); r != nil {
		out.Result = r.String()
	}
	if ib := a.GetInitiatedBy(); ib != nil {
		if u := ib.GetUser(); u != nil {
			out.InitiatedByUser = &model.AuditUser{
				ID:                str(u.GetId()),
				DisplayName:       str(u.GetDisplayName()),
				UserPrincipalName: str(u.GetUserPrincipalName()),
				IPAddress:         str(u.GetIpAddress()),
			}
		}
		if app := ib.GetApp(); app != nil {
			out.InitiatedByApp = &model.AuditApp{
				AppID:                str(app.GetAppId()),
				DisplayName:          str(app.GetDisplayName()),
				ServicePrincipalID:   str(app.GetServicePrincipalId()),
				ServicePrincipalName: str(app.GetServicePrincipalName()),
			}
		}
	}
	for _, t := range a.GetTargetResources() {
		if t == nil {
			continue
		}
		at := model.AuditTarget{
			ID:                str(t.GetId()),
			DisplayName:       str(t.GetDisplayName()),
			Type:              str(t.GetTypeEscaped()),
			UserPrincipalName: str(t.GetUserPrincipalName()),
		}
		for _, mp := range t.GetModifiedProperties() {
			if mp == nil {
				continue
			}
			at.ModifiedProperties = append(at.ModifiedProperties, model.ModifiedProperty{
				DisplayName: str(mp.GetDisplayName()),
				OldValue:    str(mp.GetOldValue()),
				NewValue:    str(mp.GetNewValue()),
			})
		}
		out.Targets = append(out.Targets, at)
	}
	for _, kv := range a.GetAdditionalDetails() {
		if kv == nil {
			continue
		}
		out.AdditionalDetails = append(out.AdditionalDetails, model.KeyValue{Key: str(kv.GetKey()), Value: str(kv.GetValue())})
	}
	return out
}
