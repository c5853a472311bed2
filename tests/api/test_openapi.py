from openapi_spec_validator import validate


def test_openapi_document_is_valid_and_generated_from_schemas(client):
    spec = client.get("/api/v1/openapi.json").json
    validate(spec)
    assert "/api/v1/datasets" in spec["paths"]
    assert set(spec["paths"]["/api/v1/datasets/{dataset_id}"]) >= {"get", "patch"}
    dataset_input = spec["components"]["schemas"]["DatasetInput"]
    # Taken from the marshmallow schema: required fields and the accessLevel vocabulary.
    assert {"title", "description", "accessLevel", "contactPoint"} <= set(dataset_input["required"])
    assert dataset_input["properties"]["accessLevel"]["enum"] == [
        "public",
        "restricted public",
        "non-public",
    ]
    assert "required" not in spec["components"]["schemas"]["DatasetPatch"]
