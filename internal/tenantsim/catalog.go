package tenantsim

// The catalog: real SKUs with their real GUIDs, part numbers and service plans, plus the rules
// that the licensing engine enforces between plans. The ids are facts from Microsoft's
// "Product names and service plan identifiers for licensing" CSV, copied into Go literals so the
// simulator needs no file at run time.

import "slices"

// SKU ids the generator and the seeded scenarios refer to.
const (
	skuA1Students    = "314c4481-f395-4525-be8b-2ec4bb1e9d91" // STANDARDWOFFPACK_STUDENT
	skuA1Faculty     = "94763226-9b3c-4e75-a931-5c89701abe66" // STANDARDWOFFPACK_FACULTY
	skuM365E5        = "06ebc4ee-1bb5-47dd-8120-11324bc54e06" // SPE_E5
	skuDefenderP2    = "3dd6cf57-d688-4eed-ba52-9e40b5468c3e" // THREAT_INTELLIGENCE
	skuO365E3        = "6fd2c87f-b296-42f0-b197-1e91e994b900" // ENTERPRISEPACK
	skuM365F3        = "66b55226-6b4f-492c-910c-a3b7a3c9d993" // SPE_F1
	skuEXOP2         = "19ec0d23-8335-4cbd-94ac-6050e30712fa" // EXCHANGEENTERPRISE
	skuAudioConf     = "0c266dff-15dd-4b49-8397-2bb16070ed52" // MCOMEETADV
	skuM365E3        = "05e9a617-0261-4cee-bb44-138d3ef5d965" // SPE_E3
	skuO365E1        = "18181a46-0d4e-45cd-891e-60aabd171b4e" // STANDARDPACK
	skuEXOP1         = "4b9405b0-7788-4568-add1-99614e613b69" // EXCHANGESTANDARD
	skuPowerBIPro    = "f8a1db68-be16-40ed-86d5-cb42ce701560" // POWER_BI_PRO
	skuVisioP2       = "c5928f49-12ba-48f7-ada3-0d743a3601d5" // VISIOCLIENT
	skuProjectP3     = "53818b1b-4a27-454b-8896-0dba576410e6" // PROJECTPROFESSIONAL
	skuPowerAutoFree = "f30db892-07e9-47e9-837c-80727f46fd3d" // FLOW_FREE
)

// Service plan ids the engine's rules refer to.
const (
	planYammerEnterprise = "7547a3fe-08ee-4ccb-b430-5077c5041653" // YAMMER_ENTERPRISE
	planYammerEdu        = "2078e8df-cff6-4290-98cb-5408261a760a" // YAMMER_EDU
	planEXOStandard      = "9aaf7827-d63c-4b61-89c3-182f06f82e5c" // EXCHANGE_S_STANDARD
	planEXOEnterprise    = "efb87545-963c-4e0d-99df-69c6916d9eb0" // EXCHANGE_S_ENTERPRISE
	planEXODeskless      = "4a82b400-a79f-41a4-b4e2-e94f5787b113" // EXCHANGE_S_DESKLESS
	planSPOStandard      = "c7699d2e-19aa-44de-8edf-1736da088ca1" // SHAREPOINTSTANDARD
	planSPOStandardEdu   = "0a4983bb-d3e5-4a09-95d8-b2d0127b3df5" // SHAREPOINTSTANDARD_EDU
	planSPOEnterprise    = "5dbe027f-2339-4123-9542-606e4d348a72" // SHAREPOINTENTERPRISE
	planSPODeskless      = "902b47e5-dcb2-4fdc-858b-c63a90a2bdb9" // SHAREPOINTDESKLESS
	planTeams            = "57ff2da0-773e-42df-b2af-ffb7a2317929" // TEAMS1
	planSkypeP2          = "0feaeb32-d00e-4d66-bd5a-43b5b83db82c" // MCOSTANDARD
	planAudioConf        = "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40" // MCOMEETADV
	planPhoneSystem      = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7" // MCOEV
	planDefenderP1       = "f20fedf3-f3c3-43c3-8267-2bfdd51c0939" // ATP_ENTERPRISE
	planDefenderP2       = "8e0c0a52-6a6c-4d40-8370-dd62790dcd70" // THREAT_INTELLIGENCE
	planSway             = "a23b959c-7ce8-4e57-9140-b90eb88a9e97" // SWAY
	planKaizalaO365P3    = "aebd3021-9f8f-4bf8-bbe3-0ed2f4f047a1" // KAIZALA_O365_P3
	planStaffHub         = "8c7d2df8-86f0-4902-b2ed-a0458298f3b3" // Deskless
)

// rules are the relations between service plans that the engine enforces. Real Entra ID keeps
// far more; these are real pairs that tenants trip over.
type rules struct {
	// conflicts maps a plan to the plans that cannot be enabled for the same user.
	conflicts map[string][]string
	// prereqs maps a plan to plans of which at least one must be enabled for the user.
	prereqs map[string][]string
	// prohibited maps a plan to the usage locations (ISO 3166 alpha-2) it is not offered in.
	// Service availability differs per plan and changes over time; the simulator models the
	// sales stop for Russia and Belarus on calling plans.
	prohibited map[string][]string
	// mailbox lists plans that provision an Exchange mailbox and so need unique proxy addresses.
	mailbox map[string]bool
}

// newRules builds the plan relations. A fresh value each time, so no tenant shares mutable state.
func newRules() rules {
	r := rules{
		conflicts:  map[string][]string{},
		prereqs:    map[string][]string{},
		prohibited: map[string][]string{},
		mailbox:    map[string]bool{planEXOStandard: true, planEXOEnterprise: true, planEXODeskless: true},
	}
	// Exchange Online (Plan 1) and (Plan 2) were such a pair until Microsoft let them be held
	// together ("Previously, Exchange Online Plan1 and Plan2 were unique and couldn't be
	// duplicated. Now, both service plans have been updated to allow duplication", Entra ID's
	// "Resolve group license assignment problems"); the kiosk plan still excludes both. The
	// SharePoint plans exclude each other level for level, commercial and education alike.
	pairs := [][2]string{
		{planYammerEnterprise, planYammerEdu},
		{planEXODeskless, planEXOStandard},
		{planEXODeskless, planEXOEnterprise},
		{planSPOStandard, planSPOEnterprise},
		{planSPOStandardEdu, planSPOEnterprise},
		{planSPOStandardEdu, planSPOStandard},
		{planSPODeskless, planSPOEnterprise},
		{planSPODeskless, planSPOStandard},
		{planSPODeskless, planSPOStandardEdu},
	}
	for _, p := range pairs {
		r.conflicts[p[0]] = append(r.conflicts[p[0]], p[1])
		r.conflicts[p[1]] = append(r.conflicts[p[1]], p[0])
	}
	// Audio conferencing works on top of Teams (or Skype for Business Online Plan 2); Defender
	// for Office 365 protects mailboxes, so it needs an Exchange Online plan.
	r.prereqs[planAudioConf] = []string{planTeams, planSkypeP2}
	r.prereqs[planPhoneSystem] = []string{planTeams, planSkypeP2}
	r.prereqs[planDefenderP1] = []string{planEXOStandard, planEXOEnterprise, planEXODeskless}
	r.prereqs[planDefenderP2] = []string{planEXOStandard, planEXOEnterprise, planEXODeskless}
	r.prohibited[planAudioConf] = []string{"BY", "RU"}
	r.prohibited[planPhoneSystem] = []string{"BY", "RU"}
	return r
}

func (r rules) prohibitedIn(plan, location string) bool {
	for _, l := range r.prohibited[plan] {
		if l == location {
			return true
		}
	}
	return false
}

// catalogSKU is one catalog row set: a SKU and its plans.
type catalogSKU struct {
	id, part, name string
	plans          []ServicePlan
}

// newCatalog returns fresh SKU values (prepaid units are set by the generator).
func newCatalog() []*SKU {
	out := make([]*SKU, 0, len(catalogSKUs))
	for _, c := range catalogSKUs {
		s := &SKU{
			ID:               c.id,
			PartNumber:       c.part,
			DisplayName:      c.name,
			AppliesTo:        "User",
			CapabilityStatus: "Enabled",
			Plans:            append([]ServicePlan(nil), c.plans...),
		}
		s.index()
		out = append(out, s)
	}
	return out
}

// Code below was transcribed from Microsoft's "Product names and service plan identifiers for
// licensing" CSV (2025-12-30). It is data, not read at run time.

// Microsoft lists a SKU's plans in a fixed order, so SKUs that bundle the same plans share runs
// of rows. A run that several SKUs share is written once here and spliced into each SKU where
// Microsoft's list has it (slices.Concat copies, so no two SKUs share a backing array).
var (
	// a1PlansHead opens both Office 365 A1 SKUs.
	a1PlansHead = []ServicePlan{
		{ID: "1d0f309f-fdf9-4b2a-9ae7-9c48b91f1426", Name: "AAD_BASIC_EDU", AppliesTo: "User"},
		{ID: "40b010bb-0b69-4654-ac5e-ba161433f4b4", Name: "DYN365_CDS_O365_P1", AppliesTo: "User"},
		{ID: "a9b86446-fa4e-498f-a92a-41b447e03337", Name: "EducationAnalyticsP1", AppliesTo: "User"},
		{ID: "9aaf7827-d63c-4b61-89c3-182f06f82e5c", Name: "EXCHANGE_S_STANDARD", AppliesTo: "User"},
		{ID: "c4801e8a-cb58-4c35-aca6-f2dcc106f287", Name: "INFORMATION_BARRIERS", AppliesTo: "User"},
		{ID: "bea4c11e-220a-4e6d-8eb8-8ea15d019f90", Name: "RMS_S_ENTERPRISE", AppliesTo: "User"},
		{ID: "9b5de886-f035-4ff2-b3d8-c9127bea3620", Name: "OFFICE_FORMS_PLAN_2", AppliesTo: "User"},
		{ID: "54fc630f-5a40-48ee-8965-af0503c1386e", Name: "KAIZALA_O365_P2", AppliesTo: "User"},
	}

	// o365CorePlans is Planner, Microsoft Search, StaffHub, Stream (Plan E3), Teams and Intune for Office 365,
	// in that order in both A1 SKUs and both E3 suites.
	o365CorePlans = []ServicePlan{
		{ID: "b737dad2-2f6c-4c65-90e3-ca563267e8b9", Name: "PROJECTWORKMANAGEMENT", AppliesTo: "User"},
		{ID: "94065c59-bc8e-4e8b-89e5-5138d471eaff", Name: "MICROSOFT_SEARCH", AppliesTo: "User"},
		{ID: "8c7d2df8-86f0-4902-b2ed-a0458298f3b3", Name: "Deskless", AppliesTo: "User"},
		{ID: "9e700747-8b1d-45e5-ab8d-ef187ceec156", Name: "STREAM_O365_E3", AppliesTo: "User"},
		{ID: "57ff2da0-773e-42df-b2af-ffb7a2317929", Name: "TEAMS1", AppliesTo: "User"},
		{ID: "882e1d05-acd1-4ccb-8708-6ee03664b117", Name: "INTUNE_O365", AppliesTo: "User"},
	}

	// a1PlansMiddle follows o365CorePlans in both A1 SKUs (after Nucleus for faculty).
	a1PlansMiddle = []ServicePlan{
		{ID: "e03c7e47-402c-463c-ab25-949079bedb21", Name: "SHAREPOINTWAC_EDU", AppliesTo: "User"},
		{ID: "c63d4d19-e8cb-460e-b37c-4d6c34603745", Name: "OFFICEMOBILE_SUBSCRIPTION", AppliesTo: "User"},
		{ID: "c68f8d98-5534-41c8-bf36-22fa496fa792", Name: "POWERAPPS_O365_P2", AppliesTo: "User"},
		{ID: "76846ad7-7776-4c40-a281-a386362dd1b9", Name: "FLOW_O365_P2", AppliesTo: "User"},
		{ID: "a55dfd10-0864-46d9-a3cd-da5991a3e0e2", Name: "PROJECT_O365_P1", AppliesTo: "User"},
		{ID: "c33802dd-1b50-4b9a-8bb9-f13d2cdeadac", Name: "SCHOOL_DATA_SYNC_P1", AppliesTo: "User"},
		{ID: "0a4983bb-d3e5-4a09-95d8-b2d0127b3df5", Name: "SHAREPOINTSTANDARD_EDU", AppliesTo: "User"},
		{ID: "0feaeb32-d00e-4d66-bd5a-43b5b83db82c", Name: "MCOSTANDARD", AppliesTo: "User"},
		{ID: "a23b959c-7ce8-4e57-9140-b90eb88a9e97", Name: "SWAY", AppliesTo: "User"},
		{ID: "c87f142c-d1e9-4363-8630-aaea9c4d9ae5", Name: "BPOS_S_TODO_2", AppliesTo: "User"},
	}

	// e3PlansAfterExchange follows the Exchange Online plan in Office 365 E3 and Microsoft 365 E3.
	e3PlansAfterExchange = []ServicePlan{
		{ID: "f0ff6ac6-297d-49cd-be34-6dfef97f0c28", Name: "MESH_IMMERSIVE_FOR_TEAMS", AppliesTo: "User"},
		{ID: "2b815d45-56e4-4e3a-b65c-66cb9175b560", Name: "ContentExplorer_Standard", AppliesTo: "User"},
		{ID: "5136a095-5cf0-4aff-bec3-e84448b38ea5", Name: "MIP_S_CLP1", AppliesTo: "User"},
		{ID: "33c4f319-9bdd-48d6-9c4d-410b750a4a5a", Name: "MYANALYTICS_P2", AppliesTo: "User"},
		{ID: "43de0ff5-c92c-492b-9116-175376d08c38", Name: "OFFICESUBSCRIPTION", AppliesTo: "User"},
		{ID: "6f23d6a9-adbf-481c-8538-b4c095654487", Name: "M365_LIGHTHOUSE_CUSTOMER_PLAN1", AppliesTo: "User"},
	}

	// e3PlansTail runs from SharePoint (Plan 2) to Yammer in Office 365 E3 and Microsoft 365 E3.
	e3PlansTail = []ServicePlan{
		{ID: "5dbe027f-2339-4123-9542-606e4d348a72", Name: "SHAREPOINTENTERPRISE", AppliesTo: "User"},
		{ID: "0feaeb32-d00e-4d66-bd5a-43b5b83db82c", Name: "MCOSTANDARD", AppliesTo: "User"},
		{ID: "a23b959c-7ce8-4e57-9140-b90eb88a9e97", Name: "SWAY", AppliesTo: "User"},
		{ID: "c87f142c-d1e9-4363-8630-aaea9c4d9ae5", Name: "BPOS_S_TODO_2", AppliesTo: "User"},
		{ID: "a82fbf69-b4d7-49f4-83a6-915b2cf354f4", Name: "VIVAENGAGE_CORE", AppliesTo: "User"},
		{ID: "b76fb638-6ba6-402a-b9f9-83d28acb3d86", Name: "VIVA_LEARNING_SEEDED", AppliesTo: "User"},
		{ID: "94a54592-cd8b-425e-87c6-97868b000b91", Name: "WHITEBOARD_PLAN2", AppliesTo: "User"},
		{ID: "7547a3fe-08ee-4ccb-b430-5077c5041653", Name: "YAMMER_ENTERPRISE", AppliesTo: "User"},
	}

	// e1F3SharedPlans is the run from Planner to Office Mobile in Office 365 E1 and Microsoft 365 F3.
	e1F3SharedPlans = []ServicePlan{
		{ID: "b737dad2-2f6c-4c65-90e3-ca563267e8b9", Name: "PROJECTWORKMANAGEMENT", AppliesTo: "User"},
		{ID: "94065c59-bc8e-4e8b-89e5-5138d471eaff", Name: "MICROSOFT_SEARCH", AppliesTo: "User"},
		{ID: "8c7d2df8-86f0-4902-b2ed-a0458298f3b3", Name: "Deskless", AppliesTo: "User"},
		{ID: "57ff2da0-773e-42df-b2af-ffb7a2317929", Name: "TEAMS1", AppliesTo: "User"},
		{ID: "882e1d05-acd1-4ccb-8708-6ee03664b117", Name: "INTUNE_O365", AppliesTo: "User"},
		{ID: "db4d623d-b514-490b-b7ef-8885eee514de", Name: "Nucleus", AppliesTo: "User"},
		{ID: "e95bec33-7c88-4a70-8e19-b10bd9d0c014", Name: "SHAREPOINTWAC", AppliesTo: "User"},
		{ID: "c63d4d19-e8cb-460e-b37c-4d6c34603745", Name: "OFFICEMOBILE_SUBSCRIPTION", AppliesTo: "User"},
	}
)

var catalogSKUs = []catalogSKU{
	{id: "314c4481-f395-4525-be8b-2ec4bb1e9d91", part: "STANDARDWOFFPACK_STUDENT", name: "Office 365 A1 for students", plans: slices.Concat(
		a1PlansHead,
		o365CorePlans,
		a1PlansMiddle,
		[]ServicePlan{
			{ID: "b8afc642-032e-4de5-8c0a-507a7bba7e5d", Name: "WHITEBOARD_PLAN1", AppliesTo: "User"},
			{ID: "2078e8df-cff6-4290-98cb-5408261a760a", Name: "YAMMER_EDU", AppliesTo: "User"},
		},
	)},
	{id: "94763226-9b3c-4e75-a931-5c89701abe66", part: "STANDARDWOFFPACK_FACULTY", name: "Office 365 A1 for faculty", plans: slices.Concat(
		a1PlansHead,
		o365CorePlans,
		[]ServicePlan{
			{ID: "db4d623d-b514-490b-b7ef-8885eee514de", Name: "Nucleus", AppliesTo: "User"},
		},
		a1PlansMiddle,
		[]ServicePlan{
			{ID: "b76fb638-6ba6-402a-b9f9-83d28acb3d86", Name: "VIVA_LEARNING_SEEDED", AppliesTo: "User"},
			{ID: "b8afc642-032e-4de5-8c0a-507a7bba7e5d", Name: "WHITEBOARD_PLAN1", AppliesTo: "User"},
			{ID: "2078e8df-cff6-4290-98cb-5408261a760a", Name: "YAMMER_EDU", AppliesTo: "User"},
		},
	)},
	{id: "06ebc4ee-1bb5-47dd-8120-11324bc54e06", part: "SPE_E5", name: "Microsoft 365 E5", plans: []ServicePlan{
		{ID: "dcf9d2f4-772e-4434-b757-77a453cfbc02", Name: "MESH_AVATARS_FOR_TEAMS", AppliesTo: "User"},
		{ID: "3efbd4ed-8958-4824-8389-1321f8730af8", Name: "MESH_AVATARS_ADDITIONAL_FOR_TEAMS", AppliesTo: "User"},
		{ID: "bea4c11e-220a-4e6d-8eb8-8ea15d019f90", Name: "RMS_S_ENTERPRISE", AppliesTo: "User"},
		{ID: "0d0c0d31-fae7-41f2-b909-eaf4d7f26dba", Name: "Bing_Chat_Enterprise", AppliesTo: "User"},
		{ID: "afa73018-811e-46e9-988f-f75d2b1b8430", Name: "CDS_O365_P3", AppliesTo: "User"},
		{ID: "9f431833-0334-42de-a7dc-70aa40db46db", Name: "LOCKBOX_ENTERPRISE", AppliesTo: "User"},
		{ID: "3ec18638-bd4c-4d3b-8905-479ed636b83e", Name: "CustomerLockboxA_Enterprise", AppliesTo: "User"},
		{ID: "cd31b152-6326-4d1b-ae1b-997b625182e6", Name: "MIP_S_Exchange", AppliesTo: "User"},
		{ID: "efb87545-963c-4e0d-99df-69c6916d9eb0", Name: "EXCHANGE_S_ENTERPRISE", AppliesTo: "User"},
		{ID: "a6520331-d7d4-4276-95f5-15c0933bc757", Name: "GRAPH_CONNECTORS_SEARCH_INDEX", AppliesTo: "User"},
		{ID: "f0ff6ac6-297d-49cd-be34-6dfef97f0c28", Name: "MESH_IMMERSIVE_FOR_TEAMS", AppliesTo: "User"},
		{ID: "c4801e8a-cb58-4c35-aca6-f2dcc106f287", Name: "INFORMATION_BARRIERS", AppliesTo: "User"},
		{ID: "d9fa6af4-e046-4c89-9226-729a0786685d", Name: "Content_Explorer", AppliesTo: "User"},
		{ID: "2b815d45-56e4-4e3a-b65c-66cb9175b560", Name: "ContentExplorer_Standard", AppliesTo: "User"},
		{ID: "efb0351d-3b08-4503-993d-383af8de41e3", Name: "MIP_S_CLP2", AppliesTo: "User"},
		{ID: "5136a095-5cf0-4aff-bec3-e84448b38ea5", Name: "MIP_S_CLP1", AppliesTo: "User"},
		{ID: "33c4f319-9bdd-48d6-9c4d-410b750a4a5a", Name: "MYANALYTICS_P2", AppliesTo: "User"},
		{ID: "2f442157-a11c-46b9-ae5b-6e39ff4e5849", Name: "M365_ADVANCED_AUDITING", AppliesTo: "User"},
		{ID: "43de0ff5-c92c-492b-9116-175376d08c38", Name: "OFFICESUBSCRIPTION", AppliesTo: "User"},
		{ID: "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40", Name: "MCOMEETADV", AppliesTo: "User"},
		{ID: "f6de4823-28fa-440b-b886-4783fa86ddba", Name: "M365_AUDIT_PLATFORM", AppliesTo: "User"},
		{ID: "a413a9ff-720c-4822-98ef-2f37c2a21f4c", Name: "MICROSOFT_COMMUNICATION_COMPLIANCE", AppliesTo: "User"},
		{ID: "bf28f719-7844-4079-9c78-c1307898e192", Name: "MTP", AppliesTo: "User"},
		{ID: "6f23d6a9-adbf-481c-8538-b4c095654487", Name: "M365_LIGHTHOUSE_CUSTOMER_PLAN1", AppliesTo: "User"},
		{ID: "4828c8ec-dc2e-4779-b502-87ac9ce28ab7", Name: "MCOEV", AppliesTo: "User"},
		{ID: "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2", Name: "MICROSOFTBOOKINGS", AppliesTo: "User"},
		{ID: "a1ace008-72f3-4ea0-8dac-33b3a23a2472", Name: "CLIPCHAMP", AppliesTo: "User"},
		{ID: "6dc145d6-95dd-4191-b9c3-185575ee6f6b", Name: "COMMUNICATIONS_DLP", AppliesTo: "User"},
		{ID: "6db1f1db-2b46-403f-be40-e39395f08dbb", Name: "CUSTOMER_KEY", AppliesTo: "User"},
		{ID: "46129a58-a698-46f0-aa5b-17f6586297d9", Name: "DATA_INVESTIGATIONS", AppliesTo: "User"},
		{ID: "f20fedf3-f3c3-43c3-8267-2bfdd51c0939", Name: "ATP_ENTERPRISE", AppliesTo: "User"},
		{ID: "8e0c0a52-6a6c-4d40-8370-dd62790dcd70", Name: "THREAT_INTELLIGENCE", AppliesTo: "User"},
		{ID: "531ee2f8-b1cb-453b-9c21-d2180d014ca5", Name: "EXCEL_PREMIUM", AppliesTo: "User"},
		{ID: "e212cbc7-0961-4c40-9825-01117710dcb1", Name: "FORMS_PLAN_E5", AppliesTo: "User"},
		{ID: "e26c2fcc-ab91-4a61-b35c-03cdc8dddf66", Name: "INFO_GOVERNANCE", AppliesTo: "User"},
		{ID: "d587c7a3-bda9-4f99-8776-9bcf59c84f75", Name: "INSIDER_RISK", AppliesTo: "User"},
		{ID: "0898bdbb-73b0-471a-81e5-20f1fe4dd66e", Name: "KAIZALA_STANDALONE", AppliesTo: "User"},
		{ID: "c4b8c31a-fb44-4c65-9837-a21f55fcabda", Name: "MICROSOFT_LOOP", AppliesTo: "User"},
		{ID: "d2d51368-76c9-4317-ada2-a12c004c432f", Name: "ML_CLASSIFICATION", AppliesTo: "User"},
		{ID: "34c0d7a0-a70f-4668-9238-47f9fc208882", Name: "EXCHANGE_ANALYTICS", AppliesTo: "User"},
		{ID: "b737dad2-2f6c-4c65-90e3-ca563267e8b9", Name: "PROJECTWORKMANAGEMENT", AppliesTo: "User"},
		{ID: "65cc641f-cccd-4643-97e0-a17e3045e541", Name: "RECORDS_MANAGEMENT", AppliesTo: "User"},
		{ID: "94065c59-bc8e-4e8b-89e5-5138d471eaff", Name: "MICROSOFT_SEARCH", AppliesTo: "User"},
		{ID: "8c7d2df8-86f0-4902-b2ed-a0458298f3b3", Name: "Deskless", AppliesTo: "User"},
		{ID: "6c6042f5-6f01-4d67-b8c1-eb99d36eed3e", Name: "STREAM_O365_E5", AppliesTo: "User"},
		{ID: "57ff2da0-773e-42df-b2af-ffb7a2317929", Name: "TEAMS1", AppliesTo: "User"},
		{ID: "882e1d05-acd1-4ccb-8708-6ee03664b117", Name: "INTUNE_O365", AppliesTo: "User"},
		{ID: "db4d623d-b514-490b-b7ef-8885eee514de", Name: "Nucleus", AppliesTo: "User"},
		{ID: "4de31727-a228-4ec3-a5bf-8e45b5ca48cc", Name: "EQUIVIO_ANALYTICS", AppliesTo: "User"},
		{ID: "8c098270-9dd4-4350-9b30-ba4703f3b36b", Name: "ADALLOM_S_O365", AppliesTo: "User"},
		{ID: "b1188c4c-1b36-4018-b48b-ee07604f6feb", Name: "PAM_ENTERPRISE", AppliesTo: "User"},
		{ID: "bf6f5520-59e3-4f82-974b-7dbbc4fd27c7", Name: "SAFEDOCS", AppliesTo: "User"},
		{ID: "e95bec33-7c88-4a70-8e19-b10bd9d0c014", Name: "SHAREPOINTWAC", AppliesTo: "User"},
		{ID: "9c0dab89-a30c-4117-86e7-97bda240acd2", Name: "POWERAPPS_O365_P3", AppliesTo: "User"},
		{ID: "70d33638-9c74-4d01-bfd3-562de28bd4ba", Name: "BI_AZURE_P2", AppliesTo: "User"},
		{ID: "617b097b-4b93-4ede-83de-5f075bb5fb2f", Name: "PREMIUM_ENCRYPTION", AppliesTo: "User"},
		{ID: "b21a6b06-1988-436e-a07b-51ec6d9f52ad", Name: "PROJECT_O365_P3", AppliesTo: "User"},
		{ID: "c948ea65-2053-4a5a-8a62-9eaaaf11b522", Name: "PURVIEW_DISCOVERY", AppliesTo: "User"},
		{ID: "41fcdd7d-4733-4863-9cf4-c65b83ce2df4", Name: "COMMUNICATIONS_COMPLIANCE", AppliesTo: "User"},
		{ID: "9d0c4ee5-e4a1-4625-ab39-d82b619b1a34", Name: "INSIDER_RISK_MANAGEMENT", AppliesTo: "User"},
		{ID: "5dbe027f-2339-4123-9542-606e4d348a72", Name: "SHAREPOINTENTERPRISE", AppliesTo: "User"},
		{ID: "0feaeb32-d00e-4d66-bd5a-43b5b83db82c", Name: "MCOSTANDARD", AppliesTo: "User"},
		{ID: "a23b959c-7ce8-4e57-9140-b90eb88a9e97", Name: "SWAY", AppliesTo: "User"},
		{ID: "3fb82609-8c27-4f7b-bd51-30634711ee67", Name: "BPOS_S_TODO_3", AppliesTo: "User"},
		{ID: "a82fbf69-b4d7-49f4-83a6-915b2cf354f4", Name: "VIVAENGAGE_CORE", AppliesTo: "User"},
		{ID: "b76fb638-6ba6-402a-b9f9-83d28acb3d86", Name: "VIVA_LEARNING_SEEDED", AppliesTo: "User"},
		{ID: "4a51bca5-1eff-43f5-878c-177680f191af", Name: "WHITEBOARD_PLAN3", AppliesTo: "User"},
		{ID: "7547a3fe-08ee-4ccb-b430-5077c5041653", Name: "YAMMER_ENTERPRISE", AppliesTo: "User"},
		{ID: "871d91ec-ec1a-452b-a83f-bd76c7d770ef", Name: "WINDEFATP", AppliesTo: "User"},
		{ID: "64bfac92-2b17-4482-b5e5-a0304429de3e", Name: "MICROSOFTENDPOINTDLP", AppliesTo: "User"},
		{ID: "795f6fe0-cc4d-4773-b050-5dde4dc704c9", Name: "UNIVERSAL_PRINT_01", AppliesTo: "User"},
		{ID: "21b439ba-a0ca-424f-a6cc-52f954a5b111", Name: "WIN10_PRO_ENT_SUB", AppliesTo: "User"},
		{ID: "9a6eeb79-0b4b-4bf0-9808-39d99a2cd5a3", Name: "Windows_Autopatch", AppliesTo: "User"},
		{ID: "7bf960f6-2cd9-443a-8046-5dbff9558365", Name: "WINDOWSUPDATEFORBUSINESS_DEPLOYMENTSERVICE", AppliesTo: "User"},
		{ID: "6c57d4b6-3b23-47a5-9bc9-69f17b4947b3", Name: "RMS_S_PREMIUM", AppliesTo: "User"},
		{ID: "5689bec4-755d-4753-8b61-40975025187c", Name: "RMS_S_PREMIUM2", AppliesTo: "User"},
		{ID: "28b0fa46-c39a-4188-89e2-58e979a6b014", Name: "DYN365_CDS_O365_P3", AppliesTo: "User"},
		{ID: "99cd49a9-0e54-4e07-aea1-d8d9f5f704f5", Name: "Defender_for_Iot_Enterprise", AppliesTo: "User"},
		{ID: "8a256a2b-b617-496d-b51b-e76466e88db0", Name: "MFA_PREMIUM", AppliesTo: "User"},
		{ID: "2e2ddb96-6af9-4b1d-a3f0-d6ecfd22edb2", Name: "ADALLOM_S_STANDALONE", AppliesTo: "User"},
		{ID: "14ab5db5-e6c4-4b20-b4bc-13e36fd2227f", Name: "ATA", AppliesTo: "User"},
		{ID: "41781fb2-bc02-4b7c-bd55-b576c07bb09d", Name: "AAD_PREMIUM", AppliesTo: "User"},
		{ID: "eec0eb4f-6444-4f95-aba0-50c24d67f998", Name: "AAD_PREMIUM_P2", AppliesTo: "User"},
		{ID: "c1ec4a95-1f05-45b3-a911-aa3fa01094f5", Name: "INTUNE_A", AppliesTo: "User"},
		{ID: "07699545-9485-468e-95b6-2fca3738be01", Name: "FLOW_O365_P3", AppliesTo: "User"},
		{ID: "ded3d325-1bdc-453e-8432-5bac26d7a014", Name: "POWER_VIRTUAL_AGENTS_O365_P3", AppliesTo: "User"},
	}},
	{id: "3dd6cf57-d688-4eed-ba52-9e40b5468c3e", part: "THREAT_INTELLIGENCE", name: "Microsoft Defender for Office 365 (Plan 2)", plans: []ServicePlan{
		{ID: "bf28f719-7844-4079-9c78-c1307898e192", Name: "MTP", AppliesTo: "User"},
		{ID: "f20fedf3-f3c3-43c3-8267-2bfdd51c0939", Name: "ATP_ENTERPRISE", AppliesTo: "User"},
		{ID: "8e0c0a52-6a6c-4d40-8370-dd62790dcd70", Name: "THREAT_INTELLIGENCE", AppliesTo: "User"},
	}},
	{id: "6fd2c87f-b296-42f0-b197-1e91e994b900", part: "ENTERPRISEPACK", name: "Office 365 E3", plans: slices.Concat(
		[]ServicePlan{
			{ID: "dcf9d2f4-772e-4434-b757-77a453cfbc02", Name: "MESH_AVATARS_FOR_TEAMS", AppliesTo: "User"},
			{ID: "3efbd4ed-8958-4824-8389-1321f8730af8", Name: "MESH_AVATARS_ADDITIONAL_FOR_TEAMS", AppliesTo: "User"},
			{ID: "bea4c11e-220a-4e6d-8eb8-8ea15d019f90", Name: "RMS_S_ENTERPRISE", AppliesTo: "User"},
			{ID: "0d0c0d31-fae7-41f2-b909-eaf4d7f26dba", Name: "Bing_Chat_Enterprise", AppliesTo: "User"},
			{ID: "95b76021-6a53-4741-ab8b-1d1f3d66a95a", Name: "CDS_O365_P2", AppliesTo: "User"},
			{ID: "efb87545-963c-4e0d-99df-69c6916d9eb0", Name: "EXCHANGE_S_ENTERPRISE", AppliesTo: "User"},
		},
		e3PlansAfterExchange,
		[]ServicePlan{
			{ID: "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2", Name: "MICROSOFTBOOKINGS", AppliesTo: "User"},
			{ID: "2789c901-c14e-48ab-a76a-be334d9d793a", Name: "FORMS_PLAN_E3", AppliesTo: "User"},
			{ID: "aebd3021-9f8f-4bf8-bbe3-0ed2f4f047a1", Name: "KAIZALA_O365_P3", AppliesTo: "User"},
		},
		o365CorePlans,
		[]ServicePlan{
			{ID: "db4d623d-b514-490b-b7ef-8885eee514de", Name: "Nucleus", AppliesTo: "User"},
			{ID: "e95bec33-7c88-4a70-8e19-b10bd9d0c014", Name: "SHAREPOINTWAC", AppliesTo: "User"},
			{ID: "31b4e2fc-4cd6-4e7d-9c1b-41407303bd66", Name: "PROJECT_O365_P2", AppliesTo: "User"},
		},
		e3PlansTail,
		[]ServicePlan{
			{ID: "4ff01e01-1ba7-4d71-8cf8-ce96c3bbcf14", Name: "DYN365_CDS_O365_P2", AppliesTo: "User"},
			{ID: "c68f8d98-5534-41c8-bf36-22fa496fa792", Name: "POWERAPPS_O365_P2", AppliesTo: "User"},
			{ID: "76846ad7-7776-4c40-a281-a386362dd1b9", Name: "FLOW_O365_P2", AppliesTo: "User"},
			{ID: "041fe683-03e4-45b6-b1af-c0cdc516daee", Name: "POWER_VIRTUAL_AGENTS_O365_P2", AppliesTo: "User"},
		},
	)},
	{id: "66b55226-6b4f-492c-910c-a3b7a3c9d993", part: "SPE_F1", name: "Microsoft 365 F3", plans: slices.Concat(
		[]ServicePlan{
			{ID: "bea4c11e-220a-4e6d-8eb8-8ea15d019f90", Name: "RMS_S_ENTERPRISE", AppliesTo: "User"},
			{ID: "0d0c0d31-fae7-41f2-b909-eaf4d7f26dba", Name: "Bing_Chat_Enterprise", AppliesTo: "User"},
			{ID: "90db65a7-bf11-4904-a79f-ef657605145b", Name: "CDS_O365_F1", AppliesTo: "User"},
			{ID: "4a82b400-a79f-41a4-b4e2-e94f5787b113", Name: "EXCHANGE_S_DESKLESS", AppliesTo: "User"},
			{ID: "6f23d6a9-adbf-481c-8538-b4c095654487", Name: "M365_LIGHTHOUSE_CUSTOMER_PLAN1", AppliesTo: "User"},
			{ID: "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2", Name: "MICROSOFTBOOKINGS", AppliesTo: "User"},
			{ID: "f07046bd-2a3c-4b96-b0be-dea79d7cbfb8", Name: "FORMS_PLAN_K", AppliesTo: "User"},
			{ID: "73b2a583-6a59-42e3-8e83-54db46bc3278", Name: "KAIZALA_O365_P1", AppliesTo: "User"},
		},
		e1F3SharedPlans,
		[]ServicePlan{
			{ID: "7f6f28c2-34bb-4d4b-be36-48ca2e77e1ec", Name: "PROJECT_O365_F3", AppliesTo: "User"},
			{ID: "902b47e5-dcb2-4fdc-858b-c63a90a2bdb9", Name: "SHAREPOINTDESKLESS", AppliesTo: "User"},
			{ID: "afc06cb0-b4f4-4473-8286-d644f70d8faf", Name: "MCOIMP", AppliesTo: "User"},
			{ID: "a23b959c-7ce8-4e57-9140-b90eb88a9e97", Name: "SWAY", AppliesTo: "User"},
			{ID: "80873e7a-cd2a-4e67-b061-1b5381a676a5", Name: "BPOS_S_TODO_FIRSTLINE", AppliesTo: "User"},
			{ID: "a82fbf69-b4d7-49f4-83a6-915b2cf354f4", Name: "VIVAENGAGE_CORE", AppliesTo: "User"},
			{ID: "b76fb638-6ba6-402a-b9f9-83d28acb3d86", Name: "VIVA_LEARNING_SEEDED", AppliesTo: "User"},
			{ID: "36b29273-c6d0-477a-aca6-6fbe24f538e3", Name: "WHITEBOARD_FIRSTLINE1", AppliesTo: "User"},
			{ID: "e041597c-9c7f-4ed9-99b0-2663301576f7", Name: "WIN10_ENT_LOC_F1", AppliesTo: "User"},
			{ID: "7547a3fe-08ee-4ccb-b430-5077c5041653", Name: "YAMMER_ENTERPRISE", AppliesTo: "User"},
			{ID: "795f6fe0-cc4d-4773-b050-5dde4dc704c9", Name: "UNIVERSAL_PRINT_01", AppliesTo: "User"},
			{ID: "9a6eeb79-0b4b-4bf0-9808-39d99a2cd5a3", Name: "Windows_Autopatch", AppliesTo: "User"},
			{ID: "7bf960f6-2cd9-443a-8046-5dbff9558365", Name: "WINDOWSUPDATEFORBUSINESS_DEPLOYMENTSERVICE", AppliesTo: "User"},
			{ID: "6c57d4b6-3b23-47a5-9bc9-69f17b4947b3", Name: "RMS_S_PREMIUM", AppliesTo: "User"},
			{ID: "ca6e61ec-d4f4-41eb-8b88-d96e0e14323f", Name: "DYN365_CDS_O365_F1", AppliesTo: "User"},
			{ID: "8a256a2b-b617-496d-b51b-e76466e88db0", Name: "MFA_PREMIUM", AppliesTo: "User"},
			{ID: "932ad362-64a8-4783-9106-97849a1a30b9", Name: "ADALLOM_S_DISCOVERY", AppliesTo: "User"},
			{ID: "41781fb2-bc02-4b7c-bd55-b576c07bb09d", Name: "AAD_PREMIUM", AppliesTo: "User"},
			{ID: "c1ec4a95-1f05-45b3-a911-aa3fa01094f5", Name: "INTUNE_A", AppliesTo: "User"},
			{ID: "3ffba0d2-38e5-4d5e-8ec0-98f2b05c09d9", Name: "STREAM_O365_K", AppliesTo: "User"},
			{ID: "e0287f9f-e222-4f98-9a83-f379e249159a", Name: "POWERAPPS_O365_S1", AppliesTo: "User"},
			{ID: "bd91b1a4-9f94-4ecf-b45b-3a65e5c8128a", Name: "FLOW_O365_S1", AppliesTo: "User"},
			{ID: "ba2fdb48-290b-4632-b46a-e4ecc58ac11a", Name: "POWER_VIRTUAL_AGENTS_O365_F1", AppliesTo: "User"},
		},
	)},
	{id: "19ec0d23-8335-4cbd-94ac-6050e30712fa", part: "EXCHANGEENTERPRISE", name: "Exchange Online (Plan 2)", plans: []ServicePlan{
		{ID: "efb87545-963c-4e0d-99df-69c6916d9eb0", Name: "EXCHANGE_S_ENTERPRISE", AppliesTo: "User"},
	}},
	{id: "0c266dff-15dd-4b49-8397-2bb16070ed52", part: "MCOMEETADV", name: "Microsoft 365 Audio Conferencing", plans: []ServicePlan{
		{ID: "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40", Name: "MCOMEETADV", AppliesTo: "User"},
	}},
	{id: "05e9a617-0261-4cee-bb44-138d3ef5d965", part: "SPE_E3", name: "Microsoft 365 E3", plans: slices.Concat(
		[]ServicePlan{
			{ID: "dcf9d2f4-772e-4434-b757-77a453cfbc02", Name: "MESH_AVATARS_FOR_TEAMS", AppliesTo: "User"},
			{ID: "3efbd4ed-8958-4824-8389-1321f8730af8", Name: "MESH_AVATARS_ADDITIONAL_FOR_TEAMS", AppliesTo: "User"},
			{ID: "bea4c11e-220a-4e6d-8eb8-8ea15d019f90", Name: "RMS_S_ENTERPRISE", AppliesTo: "User"},
			{ID: "95b76021-6a53-4741-ab8b-1d1f3d66a95a", Name: "CDS_O365_P2", AppliesTo: "User"},
			{ID: "efb87545-963c-4e0d-99df-69c6916d9eb0", Name: "EXCHANGE_S_ENTERPRISE", AppliesTo: "User"},
			{ID: "a6520331-d7d4-4276-95f5-15c0933bc757", Name: "GRAPH_CONNECTORS_SEARCH_INDEX", AppliesTo: "User"},
		},
		e3PlansAfterExchange,
		[]ServicePlan{
			{ID: "d55411c9-cfff-40a9-87c7-240f14df7da5", Name: "M365_LIGHTHOUSE_PARTNER_PLAN1", AppliesTo: "User"},
			{ID: "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2", Name: "MICROSOFTBOOKINGS", AppliesTo: "User"},
			{ID: "a1ace008-72f3-4ea0-8dac-33b3a23a2472", Name: "CLIPCHAMP", AppliesTo: "User"},
			{ID: "292cc034-7b7c-4950-aaf5-943befd3f1d4", Name: "MDE_LITE", AppliesTo: "User"},
			{ID: "2789c901-c14e-48ab-a76a-be334d9d793a", Name: "FORMS_PLAN_E3", AppliesTo: "User"},
			{ID: "aebd3021-9f8f-4bf8-bbe3-0ed2f4f047a1", Name: "KAIZALA_O365_P3", AppliesTo: "User"},
			{ID: "c4b8c31a-fb44-4c65-9837-a21f55fcabda", Name: "MICROSOFT_LOOP", AppliesTo: "User"},
		},
		o365CorePlans,
		[]ServicePlan{
			{ID: "db4d623d-b514-490b-b7ef-8885eee514de", Name: "Nucleus", AppliesTo: "User"},
			{ID: "e95bec33-7c88-4a70-8e19-b10bd9d0c014", Name: "SHAREPOINTWAC", AppliesTo: "User"},
			{ID: "31b4e2fc-4cd6-4e7d-9c1b-41407303bd66", Name: "PROJECT_O365_P2", AppliesTo: "User"},
			{ID: "0d0c0d31-fae7-41f2-b909-eaf4d7f26dba", Name: "Bing_Chat_Enterprise", AppliesTo: "User"},
		},
		e3PlansTail,
		[]ServicePlan{
			{ID: "795f6fe0-cc4d-4773-b050-5dde4dc704c9", Name: "UNIVERSAL_PRINT_01", AppliesTo: "User"},
			{ID: "21b439ba-a0ca-424f-a6cc-52f954a5b111", Name: "WIN10_PRO_ENT_SUB", AppliesTo: "User"},
			{ID: "9a6eeb79-0b4b-4bf0-9808-39d99a2cd5a3", Name: "Windows_Autopatch", AppliesTo: "User"},
			{ID: "7bf960f6-2cd9-443a-8046-5dbff9558365", Name: "WINDOWSUPDATEFORBUSINESS_DEPLOYMENTSERVICE", AppliesTo: "User"},
			{ID: "6c57d4b6-3b23-47a5-9bc9-69f17b4947b3", Name: "RMS_S_PREMIUM", AppliesTo: "User"},
			{ID: "4ff01e01-1ba7-4d71-8cf8-ce96c3bbcf14", Name: "DYN365_CDS_O365_P2", AppliesTo: "User"},
			{ID: "8a256a2b-b617-496d-b51b-e76466e88db0", Name: "MFA_PREMIUM", AppliesTo: "User"},
			{ID: "932ad362-64a8-4783-9106-97849a1a30b9", Name: "ADALLOM_S_DISCOVERY", AppliesTo: "User"},
			{ID: "41781fb2-bc02-4b7c-bd55-b576c07bb09d", Name: "AAD_PREMIUM", AppliesTo: "User"},
			{ID: "c1ec4a95-1f05-45b3-a911-aa3fa01094f5", Name: "INTUNE_A", AppliesTo: "User"},
			{ID: "c68f8d98-5534-41c8-bf36-22fa496fa792", Name: "POWERAPPS_O365_P2", AppliesTo: "User"},
			{ID: "76846ad7-7776-4c40-a281-a386362dd1b9", Name: "FLOW_O365_P2", AppliesTo: "User"},
			{ID: "041fe683-03e4-45b6-b1af-c0cdc516daee", Name: "POWER_VIRTUAL_AGENTS_O365_P2", AppliesTo: "User"},
		},
	)},
	{id: "18181a46-0d4e-45cd-891e-60aabd171b4e", part: "STANDARDPACK", name: "Office 365 E1", plans: slices.Concat(
		[]ServicePlan{
			{ID: "dcf9d2f4-772e-4434-b757-77a453cfbc02", Name: "MESH_AVATARS_FOR_TEAMS", AppliesTo: "User"},
			{ID: "3efbd4ed-8958-4824-8389-1321f8730af8", Name: "MESH_AVATARS_ADDITIONAL_FOR_TEAMS", AppliesTo: "User"},
			{ID: "0d0c0d31-fae7-41f2-b909-eaf4d7f26dba", Name: "Bing_Chat_Enterprise", AppliesTo: "User"},
			{ID: "bed136c6-b799-4462-824d-fc045d3a9d25", Name: "CDS_O365_P1", AppliesTo: "User"},
			{ID: "9aaf7827-d63c-4b61-89c3-182f06f82e5c", Name: "EXCHANGE_S_STANDARD", AppliesTo: "User"},
			{ID: "f0ff6ac6-297d-49cd-be34-6dfef97f0c28", Name: "MESH_IMMERSIVE_FOR_TEAMS", AppliesTo: "User"},
			{ID: "33c4f319-9bdd-48d6-9c4d-410b750a4a5a", Name: "MYANALYTICS_P2", AppliesTo: "User"},
			{ID: "6f23d6a9-adbf-481c-8538-b4c095654487", Name: "M365_LIGHTHOUSE_CUSTOMER_PLAN1", AppliesTo: "User"},
			{ID: "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2", Name: "MICROSOFTBOOKINGS", AppliesTo: "User"},
			{ID: "159f4cd6-e380-449f-a816-af1a9ef76344", Name: "FORMS_PLAN_E1", AppliesTo: "User"},
			{ID: "54fc630f-5a40-48ee-8965-af0503c1386e", Name: "KAIZALA_O365_P2", AppliesTo: "User"},
		},
		e1F3SharedPlans,
		[]ServicePlan{
			{ID: "a55dfd10-0864-46d9-a3cd-da5991a3e0e2", Name: "PROJECT_O365_P1", AppliesTo: "User"},
			{ID: "c7699d2e-19aa-44de-8edf-1736da088ca1", Name: "SHAREPOINTSTANDARD", AppliesTo: "User"},
			{ID: "0feaeb32-d00e-4d66-bd5a-43b5b83db82c", Name: "MCOSTANDARD", AppliesTo: "User"},
			{ID: "a23b959c-7ce8-4e57-9140-b90eb88a9e97", Name: "SWAY", AppliesTo: "User"},
			{ID: "5e62787c-c316-451f-b873-1d05acd4d12c", Name: "BPOS_S_TODO_1", AppliesTo: "User"},
			{ID: "a82fbf69-b4d7-49f4-83a6-915b2cf354f4", Name: "VIVAENGAGE_CORE", AppliesTo: "User"},
			{ID: "b76fb638-6ba6-402a-b9f9-83d28acb3d86", Name: "VIVA_LEARNING_SEEDED", AppliesTo: "User"},
			{ID: "b8afc642-032e-4de5-8c0a-507a7bba7e5d", Name: "WHITEBOARD_PLAN1", AppliesTo: "User"},
			{ID: "7547a3fe-08ee-4ccb-b430-5077c5041653", Name: "YAMMER_ENTERPRISE", AppliesTo: "User"},
			{ID: "40b010bb-0b69-4654-ac5e-ba161433f4b4", Name: "DYN365_CDS_O365_P1", AppliesTo: "User"},
			{ID: "31cf2cfc-6b0d-4adc-a336-88b724ed8122", Name: "RMS_S_BASIC", AppliesTo: "User"},
			{ID: "743dd19e-1ce3-4c62-a3ad-49ba8f63a2f6", Name: "STREAM_O365_E1", AppliesTo: "User"},
			{ID: "92f7a6f3-b89b-4bbd-8c30-809e6da5ad1c", Name: "POWERAPPS_O365_P1", AppliesTo: "User"},
			{ID: "0f9b09cb-62d1-4ff4-9129-43f4996f83f4", Name: "FLOW_O365_P1", AppliesTo: "User"},
			{ID: "0683001c-0492-4d59-9515-d9a6426b5813", Name: "POWER_VIRTUAL_AGENTS_O365_P1", AppliesTo: "User"},
		},
	)},
	{id: "4b9405b0-7788-4568-add1-99614e613b69", part: "EXCHANGESTANDARD", name: "Exchange Online (Plan 1)", plans: []ServicePlan{
		{ID: "9aaf7827-d63c-4b61-89c3-182f06f82e5c", Name: "EXCHANGE_S_STANDARD", AppliesTo: "User"},
		{ID: "882e1d05-acd1-4ccb-8708-6ee03664b117", Name: "INTUNE_O365", AppliesTo: "User"},
		{ID: "5e62787c-c316-451f-b873-1d05acd4d12c", Name: "BPOS_S_TODO_1", AppliesTo: "User"},
	}},
	{id: "f8a1db68-be16-40ed-86d5-cb42ce701560", part: "POWER_BI_PRO", name: "Power BI Pro", plans: []ServicePlan{
		{ID: "113feb6c-3fe4-4440-bddc-54d774bf0318", Name: "EXCHANGE_S_FOUNDATION", AppliesTo: "User"},
		{ID: "70d33638-9c74-4d01-bfd3-562de28bd4ba", Name: "BI_AZURE_P2", AppliesTo: "User"},
	}},
	{id: "c5928f49-12ba-48f7-ada3-0d743a3601d5", part: "VISIOCLIENT", name: "Visio Plan 2", plans: []ServicePlan{
		{ID: "113feb6c-3fe4-4440-bddc-54d774bf0318", Name: "EXCHANGE_S_FOUNDATION", AppliesTo: "User"},
		{ID: "da792a53-cbc0-4184-a10d-e544dd34b3c1", Name: "ONEDRIVE_BASIC", AppliesTo: "User"},
		{ID: "663a804f-1c30-4ff0-9915-9db84f0d1cea", Name: "VISIO_CLIENT_SUBSCRIPTION", AppliesTo: "User"},
		{ID: "2bdbaf8f-738f-4ac7-9234-3c3ee2ce7d0f", Name: "VISIOONLINE", AppliesTo: "User"},
	}},
	{id: "53818b1b-4a27-454b-8896-0dba576410e6", part: "PROJECTPROFESSIONAL", name: "Planner and Project Plan 3", plans: []ServicePlan{
		{ID: "50554c47-71d9-49fd-bc54-42a2765c555c", Name: "DYN365_CDS_PROJECT", AppliesTo: "User"},
		{ID: "113feb6c-3fe4-4440-bddc-54d774bf0318", Name: "EXCHANGE_S_FOUNDATION", AppliesTo: "User"},
		{ID: "fa200448-008c-4acb-abd4-ea106ed2199d", Name: "FLOW_FOR_PROJECT", AppliesTo: "User"},
		{ID: "e95bec33-7c88-4a70-8e19-b10bd9d0c014", Name: "SHAREPOINTWAC", AppliesTo: "User"},
		{ID: "fafd7243-e5c1-4a3a-9e40-495efcb1d3c3", Name: "PROJECT_CLIENT_SUBSCRIPTION", AppliesTo: "User"},
		{ID: "fe71d6c3-a2ea-4499-9778-da042bf08063", Name: "SHAREPOINT_PROJECT", AppliesTo: "User"},
		{ID: "818523f5-016b-4355-9be8-ed6944946ea7", Name: "PROJECT_PROFESSIONAL", AppliesTo: "User"},
		{ID: "5dbe027f-2339-4123-9542-606e4d348a72", Name: "SHAREPOINTENTERPRISE", AppliesTo: "User"},
	}},
	{id: "f30db892-07e9-47e9-837c-80727f46fd3d", part: "FLOW_FREE", name: "Microsoft Power Automate Free", plans: []ServicePlan{
		{ID: "17ab22cd-a0b3-4536-910a-cb6eb12696c0", Name: "DYN365_CDS_VIRAL", AppliesTo: "User"},
		{ID: "113feb6c-3fe4-4440-bddc-54d774bf0318", Name: "EXCHANGE_S_FOUNDATION", AppliesTo: "User"},
		{ID: "50e68c76-46c6-4674-81f9-75456511b170", Name: "FLOW_P2_VIRAL", AppliesTo: "User"},
	}},
}

// index builds the SKU's plan set.
func (s *SKU) index() {
	s.planSet = make(map[string]bool, len(s.Plans))
	for _, p := range s.Plans {
		s.planSet[p.ID] = true
	}
}
