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
/// a header equal to the canonical name (normalized) always matches.
const COLUMN_SYNONYMS: &[(&str, &[&str])] = &[
    (
        "opp_id",
        &[
            "opportunityid",
            "oppid",
            "dealid",
            "opportunitynumber",
            "dealnumber",
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
            "customer",
            "customerid",
            "customername",
            "client",
        ],
    ),
    (
        "channel",
        &["saleschannel", "channelname", "routetomarket", "gotomarket"],
    ),
    (
        "partner_id",
        &[
            "partnerid",
            "partner",
            "partnername",
            "reseller",
            "resellerid",
        ],
    ),
    (
        "segment",
        &[
            "customersegment",
            "segmentname",
            "companysize",
            "marketsegment",
        ],
    ),
    (
        "region",
        &["salesregion", "territory", "geo", "geography", "area"],
    ),
    (
        "stage",
        &[
            "dealstage",
            "opportunitystage",
            "salesstage",
            "pipelinestage",
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
            "value",
            "revenue",
            "acv",
            "arr",
            "contractvalue",
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
            "wondate",
            "enddate",
            "dateclosed",
        ],
    ),
    ("lead_id", &["leadid", "id"]),
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
    for (slot, column) in mapping.iter_mut().zip(canonical) {
        if slot.is_some() {
            continue;
        }
        let Some((_, spellings)) = COLUMN_SYNONYMS.iter().find(|(c, _)| c == column) else {
            continue;
        };
        let found = spellings.iter().find_map(|spelling| {
            normalized_headers
                .iter()
                .enumerate()
                .position(|(i, h)| !used[i] && h == spelling)
        });
        if let Some(i) = found {
            used[i] = true;
            *slot = Some(i);
        }
    }
    mapping
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
