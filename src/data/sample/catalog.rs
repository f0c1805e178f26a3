//! The sample business's fixed assumptions: channels, segments, regions, rates, prices
//! and name lists. Every distribution parameter of the generator is read from here.

/// Sales channels, in the order used by every per-channel table below.
pub const CHANNELS: [&str; 6] = [
    "Direct",
    "Inside Sales",
    "Partner",
    "Marketplace",
    "Online",
    "Reseller",
];
pub const SEGMENTS: [&str; 3] = ["Enterprise", "Mid-Market", "SMB"];
pub const REGIONS: [&str; 4] = ["NA", "EMEA", "APAC", "LATAM"];
/// Open stages in pipeline order; a deal's stage follows the share of its cycle elapsed.
pub const OPEN_STAGES: [&str; 4] = ["Prospecting", "Qualification", "Proposal", "Negotiation"];
pub const CLOSED_WON: &str = "Closed Won";
pub const CLOSED_LOST: &str = "Closed Lost";
pub const COST_TYPES: [&str; 4] = ["Headcount", "Programs", "Commissions", "Tools"];
pub const TIERS: [&str; 4] = ["Platinum", "Gold", "Silver", "Registered"];
pub const LEAD_STAGES: [&str; 4] = ["MQL", "SQL", "Opportunity", "Won"];

/// Calendar: 30 months of history, January 2024 through June 2026; the CRM snapshot
/// is taken on the last day (scenarios use `as_of = 2026-06-30`).
pub const FIRST_YEAR: i32 = 2024;
pub const MONTHS: usize = 30;

/// Share of accounts per segment and per region.
pub const SEGMENT_WEIGHTS: [f64; 3] = [0.15, 0.35, 0.50];
pub const REGION_WEIGHTS: [f64; 4] = [0.45, 0.30, 0.15, 0.10];

/// How an account of each segment is reached: P(channel | segment), rows by segment.
/// Overall this gives a skewed mix (Inside Sales ~29%, Reseller ~9%).
pub const CHANNEL_BY_SEGMENT: [[f64; 6]; 3] = [
    [0.50, 0.08, 0.22, 0.06, 0.02, 0.12],
    [0.22, 0.30, 0.20, 0.10, 0.08, 0.10],
    [0.04, 0.34, 0.14, 0.12, 0.28, 0.08],
];

/// Deal size, win rate, cycle and churn adjustments of a segment.
pub struct SegmentProfile {
    /// Median first-year contract value (ARR) of a Core Platform deal, before channel effects.
    pub median_amount: f64,
    /// Lognormal spread of deal sizes.
    pub amount_sigma: f64,
    pub win_factor: f64,
    pub cycle_factor: f64,
    pub churn_factor: f64,
    /// Product mix (weights over `PRODUCTS`).
    pub product_weights: [f64; 5],
}

pub const SEGMENT_PROFILES: [SegmentProfile; 3] = [
    SegmentProfile {
        median_amount: 120_000.0,
        amount_sigma: 0.70,
        win_factor: 0.85,
        cycle_factor: 1.5,
        churn_factor: 0.6,
        product_weights: [0.30, 0.15, 0.10, 0.10, 0.35],
    },
    SegmentProfile {
        median_amount: 35_000.0,
        amount_sigma: 0.60,
        win_factor: 1.0,
        cycle_factor: 1.0,
        churn_factor: 1.0,
        product_weights: [0.40, 0.20, 0.15, 0.12, 0.13],
    },
    SegmentProfile {
        median_amount: 8_000.0,
        amount_sigma: 0.55,
        win_factor: 1.1,
        cycle_factor: 0.6,
        churn_factor: 1.4,
        product_weights: [0.55, 0.20, 0.12, 0.13, 0.0],
    },
];

pub const PRODUCTS: [&str; 5] = [
    "Core Platform",
    "Analytics Add-on",
    "Integrations Pack",
    "Premium Support",
    "Enterprise Suite",
];
/// Price of each product relative to Core Platform.
pub const PRODUCT_PRICE: [f64; 5] = [1.0, 0.45, 0.35, 0.25, 1.8];

/// Win-rate multiplier of a partner-sourced deal by the partner's tier.
pub const TIER_WIN_FACTOR: [f64; 4] = [1.2, 1.1, 1.0, 0.85];

/// The economics of one channel.
pub struct ChannelProfile {
    pub win_rate: f64,
    /// Median days from created to closed (before the segment factor).
    pub cycle_days: f64,
    /// Deal-size multiplier (e.g. online deals are small).
    pub deal_size: f64,
    /// Deals carry a partner_id (Partner and Reseller).
    pub uses_partner: bool,
    /// Hill response of monthly pipeline to the monthly spend index: half-saturation
    /// point and shape. Pipeline ∝ s^n / (s^n + k^n), so extra spend has diminishing returns.
    pub hill_half: f64,
    pub hill_shape: f64,
    /// Relative change of the spend level from the first to the last month.
    pub spend_growth: f64,
    /// Won revenue per unit of total cost; costs are scaled to hit it. With a 72% gross
    /// margin this gives ROI of about 1.2x-3.8x, and Reseller clearly below break-even.
    pub revenue_per_cost: f64,
    /// Split of monthly cost over `COST_TYPES`.
    pub cost_mix: [f64; 4],
    /// Fully loaded monthly cost of one head (turns the Headcount cost into heads).
    pub loaded_cost_per_head: f64,
    /// Annual churn probability at renewal (before the segment factor).
    pub churn: f64,
    /// Lead funnel: share of all leads, MQL→SQL and SQL→Opportunity conversion.
    pub lead_share: f64,
    pub lead_to_sql: f64,
    pub sql_to_opportunity: f64,
    /// Lead sources and their weights.
    pub lead_sources: &'static [(&'static str, f64)],
}

pub const CHANNEL_PROFILES: [ChannelProfile; 6] = [
    ChannelProfile {
        win_rate: 0.28,
        cycle_days: 110.0,
        deal_size: 1.3,
        uses_partner: false,
        hill_half: 1.0,
        hill_shape: 1.3,
        spend_growth: 0.10,
        revenue_per_cost: 3.6,
        cost_mix: [0.62, 0.13, 0.20, 0.05],
        loaded_cost_per_head: 18_000.0,
        churn: 0.08,
        lead_share: 0.10,
        lead_to_sql: 0.45,
        sql_to_opportunity: 0.55,
        lead_sources: &[
            ("Outbound", 0.45),
            ("Event", 0.20),
            ("Inbound Web", 0.15),
            ("Customer Referral", 0.15),
            ("Paid Search", 0.05),
        ],
    },
    ChannelProfile {
        win_rate: 0.24,
        cycle_days: 45.0,
        deal_size: 0.8,
        uses_partner: false,
        hill_half: 0.8,
        hill_shape: 1.2,
        spend_growth: 0.20,
        revenue_per_cost: 4.4,
        cost_mix: [0.58, 0.17, 0.18, 0.07],
        loaded_cost_per_head: 10_000.0,
        churn: 0.14,
        lead_share: 0.34,
        lead_to_sql: 0.38,
        sql_to_opportunity: 0.50,
        lead_sources: &[
            ("Inbound Web", 0.35),
            ("Outbound", 0.25),
            ("Paid Search", 0.20),
            ("Event", 0.10),
            ("Customer Referral", 0.10),
        ],
    },
    ChannelProfile {
        win_rate: 0.32,
        cycle_days: 90.0,
        deal_size: 1.0,
        uses_partner: true,
        hill_half: 1.2,
        hill_shape: 1.1,
        spend_growth: 0.50,
        revenue_per_cost: 5.8,
        cost_mix: [0.20, 0.35, 0.40, 0.05],
        loaded_cost_per_head: 15_000.0,
        churn: 0.10,
        lead_share: 0.06,
        lead_to_sql: 0.50,
        sql_to_opportunity: 0.55,
        lead_sources: &[
            ("Partner Referral", 0.80),
            ("Event", 0.10),
            ("Inbound Web", 0.10),
        ],
    },
    ChannelProfile {
        win_rate: 0.40,
        cycle_days: 25.0,
        deal_size: 0.6,
        uses_partner: false,
        hill_half: 0.6,
        hill_shape: 1.0,
        spend_growth: 0.60,
        revenue_per_cost: 6.6,
        cost_mix: [0.08, 0.30, 0.55, 0.07],
        loaded_cost_per_head: 14_000.0,
        churn: 0.18,
        lead_share: 0.14,
        lead_to_sql: 0.40,
        sql_to_opportunity: 0.45,
        lead_sources: &[("Marketplace Listing", 0.85), ("Paid Search", 0.15)],
    },
    ChannelProfile {
        win_rate: 0.18,
        cycle_days: 12.0,
        deal_size: 0.35,
        uses_partner: false,
        hill_half: 0.5,
        hill_shape: 1.4,
        spend_growth: 0.30,
        revenue_per_cost: 3.0,
        cost_mix: [0.10, 0.72, 0.03, 0.15],
        loaded_cost_per_head: 12_000.0,
        churn: 0.28,
        lead_share: 0.30,
        lead_to_sql: 0.30,
        sql_to_opportunity: 0.45,
        lead_sources: &[
            ("Paid Search", 0.45),
            ("Inbound Web", 0.45),
            ("Customer Referral", 0.10),
        ],
    },
    ChannelProfile {
        win_rate: 0.26,
        cycle_days: 70.0,
        deal_size: 0.9,
        uses_partner: true,
        hill_half: 0.9,
        hill_shape: 1.0,
        spend_growth: -0.20,
        revenue_per_cost: 1.1,
        cost_mix: [0.15, 0.25, 0.55, 0.05],
        loaded_cost_per_head: 13_000.0,
        churn: 0.20,
        lead_share: 0.06,
        lead_to_sql: 0.45,
        sql_to_opportunity: 0.50,
        lead_sources: &[("Partner Referral", 0.85), ("Inbound Web", 0.15)],
    },
];

/// An illustrative industry benchmark table (typical B2B SaaS figures, not survey data):
/// channel, then win_rate, sales_cycle_days, cac, ltv_to_cac, roi.
pub const BENCHMARK_METRICS: [&str; 5] =
    ["win_rate", "sales_cycle_days", "cac", "ltv_to_cac", "roi"];
pub const BENCHMARKS: [[f64; 5]; 6] = [
    [0.25, 110.0, 32_000.0, 3.2, 1.9],
    [0.22, 40.0, 9_500.0, 3.6, 2.3],
    [0.30, 85.0, 12_000.0, 4.1, 2.8],
    [0.35, 25.0, 4_500.0, 4.5, 3.2],
    [0.15, 14.0, 1_800.0, 3.0, 1.6],
    [0.24, 65.0, 10_500.0, 3.4, 2.0],
];

/// Sales rep names: first × last gives 1,600 distinct people.
pub const FIRST_NAMES: [&str; 40] = [
    "Alex", "Priya", "Jordan", "Mei", "Carlos", "Fatima", "Liam", "Sofia", "Noah", "Aisha",
    "Ethan", "Yuki", "Lucas", "Amara", "Mateo", "Hannah", "Omar", "Chloe", "Daniel", "Ingrid",
    "Ravi", "Elena", "Samuel", "Zara", "Tomas", "Grace", "Kenji", "Laura", "Victor", "Nadia",
    "Felix", "Julia", "Andre", "Maya", "Pedro", "Emma", "Hugo", "Leila", "Oscar", "Anna",
];
pub const LAST_NAMES: [&str; 40] = [
    "Kim", "Patel", "Smith", "Chen", "Garcia", "Khan", "Murphy", "Rossi", "Nguyen", "Okafor",
    "Brown", "Tanaka", "Silva", "Mensah", "Lopez", "Schmidt", "Haddad", "Martin", "Cohen",
    "Larsen", "Sharma", "Popescu", "Walker", "Ahmed", "Novak", "Kelly", "Sato", "Fischer",
    "Moreau", "Ivanova", "Berg", "Costa", "Dubois", "Singh", "Santos", "Wilson", "Lambert",
    "Yilmaz", "Nielsen", "Kowalski",
];

/// Partner names: prefix × core × suffix gives 4,000 distinct names.
pub const PARTNER_PREFIXES: [&str; 20] = [
    "North",
    "Blue",
    "Summit",
    "Bright",
    "Iron",
    "Silver",
    "Cedar",
    "Harbor",
    "Apex",
    "Nova",
    "Granite",
    "Pacific",
    "Atlas",
    "Crest",
    "Vertex",
    "Meridian",
    "Pioneer",
    "Quantum",
    "Red",
    "Evergreen",
];
pub const PARTNER_CORES: [&str; 20] = [
    "wind", "stone", "bridge", "point", "field", "path", "wave", "gate", "line", "peak", "forge",
    "light", "view", "brook", "shore", "ridge", "cloud", "core", "works", "logic",
];
pub const PARTNER_SUFFIXES: [&str; 10] = [
    "Solutions",
    "Consulting",
    "Systems",
    "Partners",
    "Technologies",
    "Group",
    "Digital",
    "Integrators",
    "Advisory",
    "Labs",
];
