"""Stored computed values written in one statement, as the ORM's flush writes them.

Cash application sets the computed fields it can derive set-based (an
entry's amounts, an invoice's residual and payment state, a statement
line's reconciled flag) instead of letting the ORM compute them record by
record. Left dirty in the cache, those values would still be flushed record
by record: each monetary value looks up its record's currency through a new
environment, which for thousands of entries costs more than computing them.

:func:`store_computed` writes them the way that flush does, for all the
records at once:

* each value converted for its column as its field converts it (a monetary
  value rounded to its record's currency, a selection or a boolean as is);
* the write user and date set, as the flush of a computed field sets them;
* one ``UPDATE ... FROM unnest(...)`` for all the records and fields, then
  the values put in the cache as flushed.

It writes the fields it is given and nothing else: the caller has checked
that they are what the ORM would compute and marks their dependents
modified. Such a shortcut stands in for Odoo's computation only while that
computation is ``account``'s own: :func:`account_computes` tells, so that a
module overriding it gets the ORM's path.
"""

from odoo.tools import SQL, float_repr


def account_computes(model, *methods):
    """True when each of ``methods`` of ``model`` is ``account``'s own (no
    installed module overrides it): then a set-based shortcut tested equal
    to it may stand in for it. ``account`` keeps each model in a file named
    after its table."""
    own = f"odoo.addons.account.models.{model._table}"
    return all(getattr(type(model), name).__module__ == own for name in methods)


def _converted(records, field, values):
    """(column values, cache values) of ``values``, as the field converts them."""
    if field.type != "monetary":
        column = [
            field.convert_to_column(value, record)
            for record, value in zip(records, values, strict=True)
        ]
        return column, list(values)
    currency_field = field.get_currency_field(records)
    column, cache = [], []
    for record, value in zip(records, values, strict=True):
        currency = record[currency_field]
        value = float(value or 0.0)
        if currency:
            # what ``Monetary.convert_to_column_insert`` writes and
            # ``convert_to_cache`` keeps
            value = currency.round(value)
            column.append(float_repr(value, currency.decimal_places))
        else:
            column.append(value)
        cache.append(value)
    return column, cache


def store_computed(records, values):
    """Write ``{field name: [value per record]}`` of ``records``, flushed.

    The values are the ones their computation gives; they replace whatever
    is cached for these fields.
    """
    if not records or not values:
        return
    model = records.browse()
    env = records.env
    fields_ = [records._fields[fname] for fname in values]
    converted = {
        field: _converted(records, field, values[field.name]) for field in fields_
    }
    columns = [SQL.identifier(field.name) for field in fields_]
    assignments = [SQL("%s = v.%s", column, column) for column in columns]
    if model._log_access:
        assignments += [
            SQL("write_uid = %s", env.uid),
            SQL("write_date = %s", env.cr.now()),
        ]
    arrays = [SQL("%s::int4[]", list(records._ids))] + [
        SQL("%s::%s[]", converted[field][0], SQL(field.column_type[1]))
        for field in fields_
    ]
    env.cr.execute(
        SQL(
            "UPDATE %(table)s t SET %(assignments)s"
            " FROM unnest(%(arrays)s) AS v(id, %(columns)s)"
            " WHERE t.id = v.id",
            table=SQL.identifier(model._table),
            assignments=SQL(", ").join(assignments),
            arrays=SQL(", ").join(arrays),
            columns=SQL(", ").join(columns),
        )
    )
    for field in fields_:
        # a value an earlier write left dirty stays dirty (flushed again,
        # with this value): the cache refuses to clean it
        dirty = set(env.cache.get_dirty_records(model, field)._ids)
        for is_dirty in (False, True):
            subset = [
                (record_id, value)
                for record_id, value in zip(
                    records._ids, converted[field][1], strict=True
                )
                if (record_id in dirty) == is_dirty
            ]
            if subset:
                env.cache.update(
                    model.browse([record_id for record_id, _v in subset]),
                    field,
                    [value for _id, value in subset],
                    dirty=is_dirty,
                )
    if model._log_access:
        records.invalidate_recordset(["write_uid", "write_date"], flush=False)
