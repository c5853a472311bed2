"""Search regressions found while integrating the areas."""


def test_sorting_by_modified_with_undated_datasets(client, make_dataset):
    undated = make_dataset(title="Undated inventory row", modified=None)
    dated = make_dataset(title="Dated dataset", modified="2024-05-01")
    response = client.get("/api/v1/datasets?sort=modified")
    assert response.status_code == 200
    assert [item["id"] for item in response.json["items"]] == [dated.id, undated.id]
