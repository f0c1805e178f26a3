//! Names for `chanmix init`: which of an export's tables and headers are the rule
//! library's canonical tables and columns (by name and by the usual CRM spellings),
//! and rule names for everything else (snake_case columns, CamelCase tables).

/// The usual spellings of the library's tables in CRM exports (compared normalized:
/// lower case, letters and digits only).
const TABLE_SYNONYMS: &[(&str, &[&str])] = &[
    (
        "Opportunities",
        &[
            "opportunities",
            "opportunity",
            "opps",
            "opp",
            "deals",
            "deal",
            "pipeline",
            "salespipeline",
            "salesopportunities",
            "crmopportunities",
        ],
    ),
    (
        "Costs",
        &[
            "costs",
            "cost",
            "spend",
            "spending",
            "expenses",
            "marketingspend",
            "salescosts",
            "channelcosts",
        ],
    ),
    ("Leads", &["leads", "lead", "prospects", "inquiries"]),
    (
        "Renewals",
        &["renewals", "renewal", "subscriptions", "retention"],
    ),
    (
        "Benchmarks",
        &["benchmarks", "benchmark", "industrybenchmarks"],
    ),
    (
        "PartnerList",
        &["partners", "partner", "resellers", "partnerlist"],
    ),
    (
        "Headcount",
        &["headcount", "quota", "quotas", "salesheadcount"],
    ),
];

/// The usual spellings of the library's columns (normalized), per canonical column;
/// a header equal to the canonical name (normalized) always matches. They cover the
/// standard export labels of the common CRMs (Salesforce, HubSpot, Pipedrive, Zoho,
/// Dynamics) besides generic spellings.
const COLUMN_SYNONYMS: &[(&str, &[&str])] = &[
    (
        "opp_id",
        &[
            "opportunityid",
            "oppid",
            "dealid",
            "opportunitynumber",
            "dealnumber",
            "recordid",
            "hsobjectid",
            "objectid",
            "opportunityid18",
            "opportunity",
            "id",
        ],
    ),
    (
        "account_id",
        &[
            "accountid",
            "account",
            "accountname",
            "company",
            "companyname",
            "companyid",
            "associatedcompany",
            "associatedcompanyid",
            "associatedcompanyids",
            "associatedcompanyprimary",
            "organization",
            "organisation",
            "organizationname",
            "organisationname",
            "org",
            "potentialcustomer",
            "customer",
            "customerid",
            "customername",
            "customeraccount",
            "accountnumber",
            "client",
            "clientname",
            "clientid",
        ],
    ),
    (
        "channel",
        &[
            "saleschannel",
            "channelname",
            "channeltype",
            "routetomarket",
            "gotomarket",
            "gtmchannel",
            "sellingchannel",
            "salesmotion",
        ],
    ),
    (
        "partner_id",
        &[
            "partnerid",
            "partner",
            "partnername",
            "partneraccount",
            "partneraccountname",
            "channelpartner",
            "channelpartnername",
            "partnercompany",
            "referralpartner",
            "reseller",
            "resellerid",
            "resellername",
            "distributor",
        ],
    ),
    (
        "segment",
        &[
            "customersegment",
            "segmentname",
            "accountsegment",
            "companysegment",
            "marketsegment",
            "customertype",
            "companysize",
            "businesssize",
        ],
    ),
    (
        "region",
        &[
            "salesregion",
            "territory",
            "territoryname",
            "salesterritory",
            "geo",
            "geography",
            "theater",
            "theatre",
            "area",
        ],
    ),
    (
        "stage",
        &[
            "dealstage",
            "stagename",
            "opportunitystage",
            "salesstage",
            "pipelinestage",
            "pipelinephase",
            "phase",
            "statusreason",
            "status",
        ],
    ),
    (
        "amount",
        &[
            "closevalue",
            "dealvalue",
            "dealamount",
            "opportunityamount",
            "amountincompanycurrency",
            "amountinhomecurrency",
            "value",
            "totalamount",
            "netamount",
            "dealsize",
            "revenue",
            "actualrevenue",
            "estrevenue",
            "estimatedrevenue",
            "acv",
            "annualcontractvalue",
            "arr",
            "contractvalue",
            "totalcontractvalue",
            "tcv",
            "bookings",
            "amountusd",
        ],
    ),
    (
        "created_date",
        &[
            "createddate",
            "createdate",
            "created",
            "createdat",
            "createdon",
            "createdtime",
            "createddatetime",
            "dealcreated",
            "addtime",
            "dateadded",
            "engagedate",
            "opendate",
            "creationdate",
            "startdate",
            "datecreated",
        ],
    ),
    (
        "close_date",
        &[
            "closedate",
            "closeddate",
            "closed",
            "closedat",
            "closedon",
            "closingdate",
            "closetime",
            "actualclosedate",
            "wondate",
            "wontime",
            "datewon",
            "estclosedate",
            "estimatedclosedate",
            "expectedclosedate",
            "enddate",
            "dateclosed",
        ],
    ),
    (
        "lead_source",
        &[
            "leadsource",
            "leadsourcetype",
            "source",
            "sourcetype",
            "originalsource",
            "originalsourcetype",
            "dealsource",
            "opportunitysource",
            "leadorigin",
            "origin",
        ],
    ),
    (
        "product",
        &[
            "productname",
            "products",
            "productline",
            "productfamily",
            "productcategory",
            "item",
            "itemname",
            "sku",
            "plan",
        ],
    ),
    ("lead_id", &["leadid", "recordid", "id"]),
    (
        "stage_reached",
        &["stagereached", "leadstage", "leadstatus", "stage", "status"],
    ),
    ("month", &["period", "monthstart", "date"]),
    (
        "cost_type",
        &["costtype", "type", "category", "costcategory"],
    ),
    ("renewal_date", &["renewaldate", "date"]),
    ("renewed", &["isrenewed", "renewalstatus"]),
    ("metric", &["kpi", "measure"]),
];

/// Words CRMs put before a deal's field labels (Pipedrive's `Deal - Value`,
/// `Opportunity Owner`): a header is also tried without them.
const ENTITY_PREFIXES: &[&str] = &["deal", "opportunity", "opp"];

/// Whether a library column names a thing (`opp_id`, `account_id`): an export that
/// lacks it gets one per row, since one text for every row would make them all one.
pub fn is_identifier(column: &str) -> bool {
    column.ends_with("_id")
}

/// Lower case, letters and digits only: `Close Value` → `closevalue`.
pub fn normalized(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether an export table's name is a usual spelling of `canonical`.
pub fn table_matches(name: &str, canonical: &str) -> bool {
    let name = normalized(name);
    name == normalized(canonical)
        || TABLE_SYNONYMS
            .iter()
            .any(|(c, spellings)| *c == canonical && spellings.contains(&name.as_str()))
}

/// For each canonical column (in order), the index of the header that is it, if
/// any: the header with its name first, else the first usual spelling. Each header
/// is used once.
pub fn map_columns(headers: &[String], canonical: &[String]) -> Vec<Option<usize>> {
    let normalized_headers: Vec<String> = headers.iter().map(|h| normalized(h)).collect();
    let mut used = vec![false; headers.len()];
    let mut mapping = vec![None; canonical.len()];
    // Exact names first, so `stage` is not taken by `status` when both exist.
    for (slot, column) in mapping.iter_mut().zip(canonical) {
        let want = normalized(column);
        if let Some(i) = normalized_headers
            .iter()
            .enumerate()
            .position(|(i, h)| !used[i] && *h == want)
        {
            used[i] = true;
            *slot = Some(i);
        }
    }
    // Then the usual spellings, in the list's order (most specific first); a header
    // is tried as written, then without an entity prefix (`Deal - Organization`).
    let stripped: Vec<Option<&str>> = normalized_headers
        .iter()
        .map(|h| without_entity_prefix(h))
        .collect();
    for (slot, column) in mapping.iter_mut().zip(canonical) {
        if slot.is_some() {
            continue;
        }
        let own = normalized(column);
        let spellings = COLUMN_SYNONYMS
            .iter()
            .find(|(c, _)| c == column)
            .map_or(&[][..], |(_, s)| *s);
        let found = std::iter::once(own.as_str())
            .chain(spellings.iter().copied())
            .find_map(|spelling| {
                (0..normalized_headers.len()).find(|&i| {
                    !used[i]
                        && (normalized_headers[i] == spelling
                            || stripped[i].is_some_and(|s| s == spelling))
                })
            });
        if let Some(i) = found {
            used[i] = true;
            *slot = Some(i);
        }
    }
    mapping
}

/// A normalized header without its entity prefixes (`dealdealcreated` → `created`,
/// Pipedrive's `Deal - Deal created`), if it had any.
fn without_entity_prefix(header: &str) -> Option<&str> {
    let mut rest = header;
    while let Some(shorter) = ENTITY_PREFIXES
        .iter()
        .find_map(|p| rest.strip_prefix(p).filter(|r| !r.is_empty()))
    {
        rest = shorter;
    }
    (rest.len() < header.len()).then_some(rest)
}

/// Words of the language that cannot be names.
const RESERVED: &[&str] = &[
    "and", "or", "not", "in", "where", "input", "param", "table", "flag", "group", "by", "when",
    "true", "false",
];

/// A rule column name for a header: snake_case letters, digits and `_`, starting with
/// a letter (`Close Value` → `close_value`, `2024 Q1` → `c_2024_q1`).
pub fn column_name(header: &str) -> String {
    let mut name = String::new();
    let mut gap = false;
    let mut previous_lower = false;
    for c in header.chars() {
        if c.is_ascii_alphanumeric() {
            // camelCase boundaries become underscores: dealStage → deal_stage.
            if c.is_ascii_uppercase() && previous_lower {
                gap = true;
            }
            if gap && !name.is_empty() {
                name.push('_');
            }
            gap = false;
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            name.push(c.to_ascii_lowercase());
        } else {
            gap = true;
            previous_lower = false;
        }
    }
    if name.is_empty() {
        name.push_str("column");
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "c_");
    }
    if RESERVED.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// A rule table name for a sheet or file: CamelCase (`sales_teams` → `SalesTeams`).
pub fn table_name(name: &str) -> String {
    let mut out = String::new();
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() {
        out.push_str("Table");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    if RESERVED.contains(&out.to_ascii_lowercase().as_str()) {
        out.push('_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headers_map_onto_canonical_columns() {
        let headers = strings(&[
            "opportunity_id",
            "sales_agent",
            "account",
            "Deal Stage",
            "engage_date",
            "close_date",
            "close_value",
        ]);
        let canonical = strings(&[
            "opp_id",
            "account_id",
            "stage",
            "amount",
            "created_date",
            "close_date",
            "segment",
        ]);
        assert_eq!(
            map_columns(&headers, &canonical),
            vec![Some(0), Some(2), Some(3), Some(6), Some(4), Some(5), None]
        );
        // The exact name wins over a usual spelling.
        let headers = strings(&["status", "stage"]);
        assert_eq!(map_columns(&headers, &strings(&["stage"])), vec![Some(1)]);
    }

    /// The deal columns of the rule library, as `init` maps them.
    const DEAL_COLUMNS: [&str; 12] = [
        "opp_id",
        "account_id",
        "channel",
        "partner_id",
        "segment",
        "region",
        "stage",
        "amount",
        "created_date",
        "close_date",
        "lead_source",
        "product",
    ];

    /// A CRM, its export's headers, and (canonical column, header) pairs.
    type ExportCase<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);

    /// Each CRM's standard deal export (its documented field labels) against the
    /// mapping worked out by hand: (canonical column, the header it should take).
    #[test]
    fn standard_crm_exports_map_onto_the_library() {
        let cases: [ExportCase; 5] = [
            (
                "Salesforce opportunity report",
                &[
                    "Opportunity Owner",
                    "Account Name",
                    "Opportunity Name",
                    "Stage",
                    "Amount",
                    "Expected Revenue",
                    "Probability (%)",
                    "Close Date",
                    "Created Date",
                    "Lead Source",
                    "Type",
                ],
                &[
                    ("account_id", "Account Name"),
                    ("stage", "Stage"),
                    ("amount", "Amount"),
                    ("created_date", "Created Date"),
                    ("close_date", "Close Date"),
                    ("lead_source", "Lead Source"),
                ],
            ),
            (
                "HubSpot deals",
                &[
                    "Record ID",
                    "Deal Name",
                    "Deal Stage",
                    "Amount",
                    "Close Date",
                    "Create Date",
                    "Pipeline",
                    "Deal owner",
                    "Associated Company",
                    "Original Source Type",
                    "Deal Type",
                ],
                &[
                    ("opp_id", "Record ID"),
                    ("account_id", "Associated Company"),
                    ("stage", "Deal Stage"),
                    ("amount", "Amount"),
                    ("created_date", "Create Date"),
                    ("close_date", "Close Date"),
                    ("lead_source", "Original Source Type"),
                ],
            ),
            (
                "Pipedrive deals",
                &[
                    "Deal - ID",
                    "Deal - Title",
                    "Deal - Value",
                    "Deal - Currency",
                    "Deal - Organization",
                    "Deal - Status",
                    "Deal - Stage",
                    "Deal - Deal created",
                    "Deal - Expected close date",
                    "Deal - Won time",
                    "Deal - Deal closed on",
                    "Deal - Product name",
                ],
                &[
                    ("opp_id", "Deal - ID"),
                    ("account_id", "Deal - Organization"),
                    ("stage", "Deal - Stage"),
                    ("amount", "Deal - Value"),
                    ("created_date", "Deal - Deal created"),
                    ("close_date", "Deal - Deal closed on"),
                    ("product", "Deal - Product name"),
                ],
            ),
            (
                "Zoho CRM deals",
                &[
                    "Deal Owner",
                    "Deal Name",
                    "Account Name",
                    "Amount",
                    "Closing Date",
                    "Stage",
                    "Type",
                    "Lead Source",
                    "Created Time",
                    "Contact Name",
                ],
                &[
                    ("account_id", "Account Name"),
                    ("stage", "Stage"),
                    ("amount", "Amount"),
                    ("created_date", "Created Time"),
                    ("close_date", "Closing Date"),
                    ("lead_source", "Lead Source"),
                ],
            ),
            (
                "Dynamics 365 opportunities",
                &[
                    "Topic",
                    "Potential Customer",
                    "Est. Close Date",
                    "Est. Revenue",
                    "Status",
                    "Status Reason",
                    "Pipeline Phase",
                    "Created On",
                    "Actual Close Date",
                    "Actual Revenue",
                ],
                &[
                    ("account_id", "Potential Customer"),
                    ("stage", "Pipeline Phase"),
                    ("amount", "Actual Revenue"),
                    ("created_date", "Created On"),
                    ("close_date", "Actual Close Date"),
                ],
            ),
        ];
        let canonical = strings(&DEAL_COLUMNS);
        for (crm, headers, want) in cases {
            let mapping = map_columns(&strings(headers), &canonical);
            let got: Vec<(&str, &str)> = DEAL_COLUMNS
                .iter()
                .zip(&mapping)
                .filter_map(|(c, m)| Some((*c, headers[(*m)?])))
                .collect();
            let mut want = want.to_vec();
            want.sort_by_key(|(c, _)| DEAL_COLUMNS.iter().position(|d| d == c));
            assert_eq!(got, want, "{crm}");
        }
    }

    #[test]
    fn identifiers_are_the_id_columns() {
        assert!(is_identifier("opp_id") && is_identifier("account_id"));
        assert!(!is_identifier("segment") && !is_identifier("idle"));
    }

    #[test]
    fn rule_names_for_headers_and_tables() {
        assert_eq!(column_name("Close Value"), "close_value");
        assert_eq!(column_name("dealStage"), "deal_stage");
        assert_eq!(column_name("2024 Q1"), "c_2024_q1");
        assert_eq!(column_name("Where"), "where_");
        assert_eq!(column_name("€"), "column");
        assert_eq!(table_name("sales_teams"), "SalesTeams");
        assert_eq!(table_name("products"), "Products");
        assert!(table_matches("sales_pipeline", "Opportunities"));
        assert!(!table_matches("products", "Opportunities"));
    }
}
