//! The OpenAPI 3.1 description of the public API, served at `/openapi.json`: every
//! route with its parameters (typed, with their limits and allowed values) and the
//! schema of every answer, errors included. A test validates it with an independent
//! validator (openapi-spec-validator) and checks real answers against it.

use super::listing::{MAX_PER_PAGE, MAX_SEARCH_CHARS};
use serde_json::{Value, json};
use trustlabel_core::policy::LabelStatus;

fn nullable_time(description: &str) -> Value {
    json!({ "type": ["string", "null"], "format": "date-time", "description": description })
}

fn site_schema() -> Value {
    json!({
        "type": "object",
        "required": ["host", "display_host", "organisation", "category", "province", "status",
                     "level", "grade", "status_since", "last_assessed", "next_assessment",
                     "label_valid_until", "verify_url", "badge_url", "decided_at", "attested_at"],
        "properties": {
            "host": { "type": "string", "description": "ASCII (punycode) host name" },
            "display_host": { "type": "string", "description": "Unicode host name" },
            "organisation": { "type": "string" },
            "category": { "type": "string", "description": "category code of the target list" },
            "province": { "type": "string" },
            "status": { "$ref": "#/components/schemas/Status" },
            "level": { "type": ["string", "null"], "enum": ["basic", "advanced", null],
                       "description": "only while the site holds the label" },
            "grade": { "type": ["string", "null"],
                       "enum": ["A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F", null],
                       "description": "of the latest assessment; null while nothing was assessed or the site cannot be reached" },
            "status_since": nullable_time("when the current status began"),
            "last_assessed": nullable_time("when the latest scan finished"),
            "next_assessment": nullable_time("when the schedule assesses the site next"),
            "label_valid_until": nullable_time("until when the label holds without a new passing assessment"),
            "verify_url": { "type": "string", "format": "uri" },
            "badge_url": { "type": "string", "format": "uri" },
            "decided_at": nullable_time("set when the current status is a decision of the authority rather than a scan's result"),
            "attested_at": nullable_time("the latest manual assessment behind the advanced level")
        }
    })
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": { "type": "string", "enum": ["invalid_parameter", "not_found", "unauthorised",
                                                   "forbidden", "rate_limited", "invalid_batch"] },
            "message": { "type": "string" },
            "entries": { "type": "array", "description": "invalid_batch: the refused entries, by index (JSON) or line (CSV)",
                         "items": { "type": "object", "properties": {
                             "index": { "type": "integer", "minimum": 0 },
                             "line": { "type": "integer", "minimum": 1 },
                             "host": { "type": "string" },
                             "reason": { "type": "string" } } } },
            "parameter": { "type": "string" },
            "value": { "type": "string" },
            "allowed": { "type": ["array", "null"], "items": { "type": "string" } }
        }
    })
}

fn counts_schema() -> Value {
    let statuses: Vec<&str> = LabelStatus::ALL.iter().map(|s| s.as_str()).collect();
    json!({
        "type": "object",
        "required": ["total", "by_status"],
        "properties": {
            "group": { "type": "string" },
            "total": { "type": "integer", "minimum": 0 },
            "by_status": {
                "type": "object",
                "propertyNames": { "enum": statuses },
                "additionalProperties": { "type": "integer", "minimum": 0 }
            }
        }
    })
}

fn json_response(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn error(description: &str) -> Value {
    json_response(description, json!({ "$ref": "#/components/schemas/Error" }))
}

fn rate_limited() -> Value {
    json!({
        "description": "too many requests from this address; retry after the given seconds",
        "headers": { "Retry-After": { "schema": { "type": "integer", "minimum": 1 } } },
        "content": { "text/plain": { "schema": { "type": "string" } } }
    })
}

/// The partner agencies' batch API: bearer tokens, JSON answers that are never cached.
fn batch_paths() -> Value {
    let id_param = json!({
        "name": "id", "in": "path", "required": true,
        "description": "the batch id returned on submission",
        "schema": { "type": "integer", "minimum": 1 }
    });
    let security = json!([{ "partnerToken": [] }]);
    let token_errors = |mut responses: Value| {
        responses["401"] = error("no token, or one that is unknown, expired or revoked");
        responses["403"] = error("the token lacks the scope this needs");
        responses["429"] = json!({
            "description": "too many requests with this token; retry after the given seconds",
            "headers": { "Retry-After": { "schema": { "type": "integer", "minimum": 1 } } },
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
        });
        responses
    };
    json!({
        "/api/v1/batches": {
            "post": {
                "operationId": "submitBatch",
                "summary": "Submit hosts to assess (1 to 1000). They join the target list, filed under the token's agency unless a CSV row says otherwise, and are answered by the scan queue",
                "security": security,
                "requestBody": { "required": true, "content": {
                    "application/json": { "schema": {
                        "type": "object", "required": ["hosts"], "additionalProperties": false,
                        "properties": { "hosts": { "type": "array", "minItems": 1, "maxItems": super::opendata::MAX_BATCH_HOSTS,
                                                   "items": { "type": "string", "description": "host name or URL" } } } } },
                    "text/csv": { "schema": { "type": "string",
                        "description": "a target list: host, organisation, category, province, contact_email, parent" } }
                } },
                "responses": token_errors(json!({
                    "202": {
                        "description": "queued",
                        "headers": { "Location": { "schema": { "type": "string" } } },
                        "content": { "application/json": { "schema": {
                            "type": "object", "required": ["id", "hosts", "status_url", "results_url"],
                            "properties": {
                                "id": { "type": "integer" },
                                "hosts": { "type": "integer", "minimum": 1 },
                                "status_url": { "type": "string" },
                                "results_url": { "type": "string" }
                            } } } }
                    },
                    "400": error("an entry is not a usable host (nothing was queued), or the batch is empty or too large")
                }))
            }
        },
        "/api/v1/batches/{id}": {
            "get": {
                "operationId": "getBatch",
                "summary": "A batch's progress: each host's job",
                "security": security,
                "parameters": [id_param],
                "responses": token_errors(json!({
                    "200": json_response("Progress", json!({
                        "type": "object", "required": ["id", "created_at", "progress", "items"],
                        "properties": {
                            "id": { "type": "integer" },
                            "created_at": { "type": "string", "format": "date-time" },
                            "progress": { "$ref": "#/components/schemas/BatchProgress" },
                            "items": { "type": "array", "items": {
                                "type": "object", "required": ["host", "job", "finished_at"],
                                "properties": {
                                    "host": { "type": "string" },
                                    "job": { "$ref": "#/components/schemas/JobState" },
                                    "finished_at": nullable_time("when the host's scan ended"),
                                    "error": { "type": ["string", "null"] }
                                } } }
                        } })),
                    "404": error("no such batch for this token")
                }))
            }
        },
        "/api/v1/batches/{id}/results": {
            "get": {
                "operationId": "getBatchResults",
                "summary": "A batch's results: each host's label status and grade now, and its findings for tokens with the findings scope",
                "security": security,
                "parameters": [id_param,
                    query("format", "csv for CSV (or Accept: text/csv)", json!({ "type": "string", "enum": ["json", "csv"] }))],
                "responses": token_errors(json!({
                    "200": {
                        "description": "Results",
                        "content": {
                            "application/json": { "schema": {
                                "type": "object", "required": ["id", "progress", "items"],
                                "properties": {
                                    "id": { "type": "integer" },
                                    "progress": { "$ref": "#/components/schemas/BatchProgress" },
                                    "items": { "type": "array", "items": { "$ref": "#/components/schemas/BatchResult" } }
                                } } },
                            "text/csv": { "schema": { "type": "string" } }
                        }
                    },
                    "404": error("no such batch for this token")
                }))
            }
        }
    })
}

fn batch_result_schema() -> Value {
    json!({
        "type": "object", "required": ["host", "job", "finished_at", "status", "grade", "verify_url"],
        "properties": {
            "host": { "type": "string" },
            "job": { "$ref": "#/components/schemas/JobState" },
            "finished_at": nullable_time("when the host's scan ended"),
            "status": { "$ref": "#/components/schemas/Status" },
            "grade": { "type": ["string", "null"] },
            "verify_url": { "type": "string", "format": "uri" },
            "strengths": { "type": "array", "items": { "type": "string" },
                           "description": "only with the findings scope: what the site does better than required (ids)" },
            "findings": { "type": "array", "description": "only with the findings scope, once the host's job is done: the problems found (strengths are apart)",
                "items": { "type": "object", "required": ["id", "severity", "detail"],
                    "properties": { "id": { "type": "string" }, "severity": { "type": "string" }, "detail": { "type": "string" } } } }
        }
    })
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

pub fn document(public_url: &str) -> Value {
    let statuses: Vec<&str> = LabelStatus::ALL.iter().map(|s| s.as_str()).collect();
    let host_param = json!({
        "name": "host", "in": "path", "required": true,
        "description": "host name, ASCII or Unicode (IDN)",
        "schema": { "type": "string", "minLength": 1 }
    });
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "trustlabel public API",
            "version": "1",
            "description": "The public list of the website trust label: statuses, grades, dates and history. Detailed findings are never public. Times are ISO 8601 with the offset of the registry's time zone."
        },
        "servers": [{ "url": public_url }],
        "paths": {
            "/api/v1/sites": {
                "get": {
                    "operationId": "listSites",
                    "summary": "A filtered, sorted page of the list",
                    "description": "Every parameter is checked: an unknown parameter or an invalid value is a 400 naming it.",
                    "parameters": [
                        query("q", "search host or organisation; diacritics are optional",
                              json!({ "type": "string", "maxLength": MAX_SEARCH_CHARS })),
                        query("status", "a status, or several separated by commas",
                              json!({ "type": "string", "pattern": format!("^({0})(,({0}))*$", statuses.join("|")) })),
                        query("category", "exact category code", json!({ "type": "string" })),
                        query("province", "exact province", json!({ "type": "string" })),
                        query("view", "only assessed, or only not yet assessed sites",
                              json!({ "type": "string", "enum": ["assessed", "not_assessed"] })),
                        query("sort", "sort key",
                              json!({ "type": "string", "enum": ["host", "organisation", "status", "grade", "last_assessed"], "default": "host" })),
                        query("order", "sort order", json!({ "type": "string", "enum": ["asc", "desc"], "default": "asc" })),
                        query("page", "1-based page number", json!({ "type": "integer", "minimum": 1, "default": 1 })),
                        query("per_page", "rows per page", json!({ "type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE })),
                        query("lang", "language of texts (the data itself is language-neutral)",
                              json!({ "type": "string", "enum": ["vi", "en"], "default": "vi" }))
                    ],
                    "responses": {
                        "200": json_response("A page of the list", json!({
                            "type": "object",
                            "required": ["total", "page", "per_page", "items"],
                            "properties": {
                                "total": { "type": "integer", "minimum": 0 },
                                "page": { "type": "integer", "minimum": 1 },
                                "per_page": { "type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE },
                                "items": { "type": "array", "items": { "$ref": "#/components/schemas/Site" } }
                            }
                        })),
                        "400": error("an unknown parameter or an invalid value"),
                        "429": rate_limited()
                    }
                }
            },
            "/api/v1/sites/{host}": {
                "get": {
                    "operationId": "getSite",
                    "summary": "One site with its status history",
                    "parameters": [host_param.clone()],
                    "responses": {
                        "200": json_response("The site", json!({ "$ref": "#/components/schemas/SiteDetail" })),
                        "404": error("not in the list"),
                        "429": rate_limited()
                    }
                }
            },
            "/api/v1/stats": {
                "get": {
                    "operationId": "getStats",
                    "summary": "Counts per status, category and province",
                    "responses": {
                        "200": json_response("Counts", json!({
                            "type": "object",
                            "required": ["total", "by_status", "by_category", "by_province"],
                            "properties": {
                                "total": { "type": "integer", "minimum": 0 },
                                "by_status": { "$ref": "#/components/schemas/Counts/properties/by_status" },
                                "by_category": { "type": "array", "items": { "$ref": "#/components/schemas/Counts" } },
                                "by_province": { "type": "array", "items": { "$ref": "#/components/schemas/Counts" } }
                            }
                        })),
                        "429": rate_limited()
                    }
                }
            },
            "/api/v1/league": {
                "get": {
                    "operationId": "getLeague",
                    "summary": "A league table: ministries, provinces or categories ranked by the share of in-scope websites labelled",
                    "parameters": [
                        query("by", "what the table groups by",
                              json!({ "type": "string", "enum": ["ministry", "province", "category"], "default": "ministry" }))
                    ],
                    "responses": {
                        "200": json_response("The ranked groups", json!({
                            "type": "object",
                            "required": ["by", "computed_at", "groups"],
                            "properties": {
                                "by": { "type": "string", "enum": ["ministry", "province", "category"] },
                                "computed_at": { "type": "string", "format": "date-time" },
                                "groups": { "type": "array", "items": { "$ref": "#/components/schemas/LeagueGroup" } }
                            }
                        })),
                        "400": error("an invalid grouping"),
                        "429": rate_limited()
                    }
                }
            },
            "/data/sites.csv": {
                "get": {
                    "operationId": "downloadCsv",
                    "summary": "The whole list as CSV (UTF-8, header row; cells a spreadsheet would run as formulas start with ')",
                    "responses": {
                        "200": { "description": "CSV", "content": { "text/csv": { "schema": { "type": "string" } } } },
                        "429": rate_limited()
                    }
                }
            },
            "/data/sites.json": {
                "get": {
                    "operationId": "downloadJson",
                    "summary": "The whole list as JSON",
                    "responses": {
                        "200": json_response("Every site", json!({ "type": "array", "items": { "$ref": "#/components/schemas/Site" } })),
                        "429": rate_limited()
                    }
                }
            },
            "/feed.atom": {
                "get": {
                    "operationId": "feed",
                    "summary": "Atom feed of label changes",
                    "responses": {
                        "200": { "description": "Atom", "content": { "application/atom+xml": { "schema": { "type": "string" } } } },
                        "429": rate_limited()
                    }
                }
            },
            "/badge/{host}.svg": {
                "get": {
                    "operationId": "badge",
                    "summary": "The site's current-status badge, linking to its verification page",
                    "parameters": [host_param],
                    "responses": {
                        "200": { "description": "SVG", "content": { "image/svg+xml": { "schema": { "type": "string" } } } },
                        "404": { "description": "not in the list", "content": { "text/html": { "schema": { "type": "string" } } } },
                        "429": rate_limited()
                    }
                }
            }
        },
        "components": { "schemas": {
            "Status": { "type": "string", "enum": statuses },
            "Site": site_schema(),
            "SiteDetail": {
                "allOf": [
                    { "$ref": "#/components/schemas/Site" },
                    {
                        "type": "object",
                        "required": ["history"],
                        "properties": {
                            "history": {
                                "type": "array",
                                "description": "status changes, oldest first (the reasons are private)",
                                "items": {
                                    "type": "object",
                                    "required": ["at", "from", "to"],
                                    "properties": {
                                        "at": { "type": "string", "format": "date-time" },
                                        "from": { "$ref": "#/components/schemas/Status" },
                                        "to": { "$ref": "#/components/schemas/Status" }
                                    }
                                }
                            }
                        }
                    }
                ]
            },
            "Counts": counts_schema(),
            "LeagueGroup": {
                "type": "object",
                "required": ["rank", "group", "sites", "in_scope", "not_assessed", "collecting_personal_data",
                             "labelled_in_scope", "labelled", "grades", "open_findings"],
                "properties": {
                    "rank": { "type": "integer", "minimum": 1 },
                    "group": { "type": "string" },
                    "sites": { "type": "integer", "minimum": 0 },
                    "in_scope": { "type": "integer", "minimum": 0, "description": "collecting personal data, or not yet assessed" },
                    "not_assessed": { "type": "integer", "minimum": 0 },
                    "collecting_personal_data": { "type": "integer", "minimum": 0 },
                    "labelled_in_scope": { "type": "integer", "minimum": 0 },
                    "labelled": { "type": "integer", "minimum": 0 },
                    "grades": { "type": "array", "items": { "type": "object", "required": ["grade", "sites"],
                        "properties": { "grade": { "type": "string" }, "sites": { "type": "integer", "minimum": 0 } } } },
                    "open_findings": { "type": "array", "description": "configuration faults open on at least three sites of the group (never exposures, vulnerable software or compromise)",
                        "items": { "type": "object", "required": ["id", "severity", "sites"],
                        "properties": { "id": { "type": "string" }, "severity": { "type": "string" }, "sites": { "type": "integer", "minimum": 3 } } } }
                }
            },
            "Error": error_schema(),
            "BatchResult": batch_result_schema(),
            "JobState": { "type": "string", "enum": ["queued", "running", "done", "failed"] },
            "BatchProgress": {
                "type": "object", "required": ["total", "queued", "running", "done", "failed", "complete"],
                "properties": {
                    "total": { "type": "integer", "minimum": 0 },
                    "queued": { "type": "integer", "minimum": 0 },
                    "running": { "type": "integer", "minimum": 0 },
                    "done": { "type": "integer", "minimum": 0 },
                    "failed": { "type": "integer", "minimum": 0 },
                    "complete": { "type": "boolean" }
                }
            }
        },
        "securitySchemes": {
            "partnerToken": { "type": "http", "scheme": "bearer",
                              "description": "an API token the authority issued to a partner agency" }
        } }
    });
    if let (Some(paths), Value::Object(batch)) = (document["paths"].as_object_mut(), batch_paths())
    {
        paths.extend(batch);
    }
    document
}
