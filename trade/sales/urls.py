"""Browser routes of sales (namespace ``sales``), under /sales/."""

from .views import deliveries, orders, quotes

app_name = "sales"

urlpatterns = [*orders.urlpatterns, *quotes.urlpatterns, *deliveries.urlpatterns]
