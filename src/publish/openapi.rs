//! The OpenAPI description of the public API, served at `/openapi.json`.

use serde_json::{Value, json};

pub fn document(public_url: &str) -> Value {
    let site = json!({
        "type": "object",
        "properties": {
            "host": { "type": "string", "description": "ASCII (punycode) host name" },
            "display_host": { "type": "string", "description": "Unicode host name" },
            "organisation": { "type": "string" },
            "category": { "type": "string" },
            "province": { "type": "string" },
            "status": { "$ref": "#/components/schemas/Status" },
            "level": { "type": ["string", "null"], "enum": ["basic", "advanced", null] },
            "grade": { "type": ["string", "null"], "description": "A+ .. F" },
            "status_since": { "type": ["string", "null"], "format": "date-time" },
            "last_assessed": { "type": ["string", "null"], "format": "date-time" },
            "next_assessment": { "type": ["string", "null"], "format": "date-time" },
            "label_valid_until": { "type": ["string", "null"], "format": "date-time" },
            "verify_url": { "type": "string", "format": "uri" },
            "badge_url": { "type": "string", "format": "uri" }
        }
    });
    let param = |name: &str, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" }, "description": description });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "trustlabel public API",
            "version": "1",
            "description": "The public list of the website trust label: statuses, grades, dates and history. Detailed findings are never public."
        },
        "servers": [{ "url": public_url }],
        "paths": {
            "/api/v1/sites": {
                "get": {
                    "summary": "A filtered, sorted page of the list",
                    "parameters": [
                        param("q", "search host or organisation; diacritics are optional"),
                        param("status", "status, or a comma-separated list"),
                        param("category", "exact category"),
                        param("province", "exact province"),
                        param("view", "assessed | not_assessed"),
                        param("sort", "host | organisation | status | grade | last_assessed"),
                        param("order", "asc | desc"),
                        param("page", "1-based page number"),
                        param("per_page", "rows per page, at most 500")
                    ],
                    "responses": { "200": { "description": "A page", "content": { "application/json": { "schema": {
                        "type": "object",
                        "properties": {
                            "total": { "type": "integer" },
                            "page": { "type": "integer" },
                            "per_page": { "type": "integer" },
                            "items": { "type": "array", "items": { "$ref": "#/components/schemas/Site" } }
                        }
                    } } } }, "429": { "description": "rate limited" } }
                }
            },
            "/api/v1/sites/{host}": {
                "get": {
                    "summary": "One site with its status history",
                    "parameters": [{ "name": "host", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "responses": { "200": { "description": "The site" }, "404": { "description": "Not in the list" } }
                }
            },
            "/api/v1/stats": { "get": { "summary": "Counts per status, category and province", "responses": { "200": { "description": "Counts" } } } },
            "/data/sites.csv": { "get": { "summary": "The whole list as CSV (UTF-8)", "responses": { "200": { "description": "CSV" } } } },
            "/data/sites.json": { "get": { "summary": "The whole list as JSON", "responses": { "200": { "description": "JSON" } } } },
            "/feed.atom": { "get": { "summary": "Atom feed of label changes", "responses": { "200": { "description": "Atom" } } } },
            "/badge/{host}.svg": { "get": { "summary": "The site's current-status badge, linking to its verification page", "responses": { "200": { "description": "SVG" } } } }
        },
        "components": { "schemas": {
            "Status": { "type": "string", "enum": ["not_assessed", "labelled", "at_risk", "revoked", "not_labelled", "unreachable"] },
            "Site": site
        } }
    })
}
