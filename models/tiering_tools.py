"""Small helpers the models share: activity values and look-ups, and work deferred to commit."""


def activity_values(record, activity_type, user_id, deadline, **values):
    """The ``mail.activity`` create values of an activity of ``activity_type`` on ``record`` (one
    record) for ``user_id``, due on ``deadline``: automated unless ``values`` say otherwise, and
    ``values`` (note, summary...) on top."""
    return {
        "res_model_id": record.env["ir.model"]._get_id(record._name),
        "res_id": record.id,
        "activity_type_id": activity_type.id,
        "automated": True,
        "user_id": user_id,
        "date_deadline": deadline,
        **values,
    }


def with_open_activity(records, activity_type):
    """The ids of ``records`` that have an open activity of ``activity_type``."""
    activities = records.env["mail.activity"].search(
        [("res_model", "=", records._name), ("res_id", "in", records.ids), ("activity_type_id", "=", activity_type.id)]
    )
    return set(activities.mapped("res_id"))


def defer_to_commit(env, key, items, callback):
    """Call ``callback`` once, just before the transaction commits, whatever the number of calls.

    ``items`` gather under ``key`` until then: however many writes queue the same customer in
    one transaction, the work is done once, after them all. ``callback`` takes them back with
    ``take_deferred(env, key)``.
    """
    items = set(items)
    if not items:
        return
    pending = env.cr.precommit.data.setdefault(key, set())
    if not pending:
        env.cr.precommit.add(callback)
    pending.update(items)


def take_deferred(env, key):
    """The items queued under ``key`` by ``defer_to_commit``, no longer queued."""
    return env.cr.precommit.data.pop(key, set())
