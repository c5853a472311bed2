"""/plan/timeline: the review timeline the statute asks the plan for, open to everyone."""

from __future__ import annotations

from flask import render_template

from catalog.db import db
from catalog.services.plan_timeline import review_timeline
from catalog.web.charts import Series, bar_chart
from catalog.web.plan import bp


@bp.get("/plan/timeline")
def timeline():
    data = review_timeline(db.session)
    steps = data["steps"]
    chart = bar_chart(
        "Days allowed per step, and the median days finished reviews took",
        [s["label"] for s in steps],
        [
            Series("Allowed", [s["days"] for s in steps]),
            Series("Median taken", [s["median_days"] for s in steps]),
        ],
        unit=" days",
        chart_id="timeline-chart",
    )
    return render_template("plan/timeline.html", data=data, chart=chart)
