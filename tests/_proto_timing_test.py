import time
from datetime import timedelta
from sqlalchemy import select
from marketplace.extensions import db
from marketplace.models import Delivery
from marketplace.services import deliveries
from marketplace.vietnam import today
from tests.conftest import verified_coop
from tests.deals import actor, coop_with_listing, signed_contract, verified_buyer
from tests.test_payments import invoiced

def test_timing(app):
    t = time.time(); invoiced(app); print("invoiced", time.time() - t)
    t = time.time()
    buyer = verified_buyer(app); coop = verified_coop(app); coop_with_listing(app, coop)
    start = today() + timedelta(days=7)
    cid = signed_contract(app, buyer, coop, weekdays=[str(d) for d in range(1, 8)], ends_on=start + timedelta(days=150))
    print("contract", time.time() - t)
    with app.app_context():
        ids = list(db.session.scalars(select(Delivery.id).where(Delivery.contract_id == cid)))
    print(len(ids))
    t = time.time()
    for did in ids[:10]:
        with app.app_context():
            d = db.session.get_one(Delivery, did)
            line = d.lines[0].id
            deliveries.dispatch(actor(coop), did, d.version, {line: deliveries.DispatchLine("120")})
            d = db.session.get_one(Delivery, did)
            _d, inv = deliveries.receive(actor(buyer), did, d.version, {line: deliveries.ReceiptLine("7")})
            print(inv.total, end=" ")
    print("10 invoices", time.time() - t)
